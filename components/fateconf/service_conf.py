"""service_conf.yaml, the file FATE Flow (and FATE's code in Spark executors) reads at start.

Two layouts: FATE 2.x (`database.mysql`, `federation.pulsar`, `computing.spark`, `storage.hdfs`) and
FATE 1.x (`database`, `fate_on_spark.{spark,hdfs,pulsar,nginx}`). It holds the MySQL password, so it is
mounted from a Secret, never a ConfigMap. The host FATE Flow advertises is a stable DNS name, so no
start-up script has to patch the pod IP in.
"""

from __future__ import annotations

from typing import Any

from components.fateconf.paths import PULSAR_ROUTE_TABLE_RELATIVE
from components.fateconf.settings import PartyServiceSettings
from components.fateconf.versions import check_version
from components.fateconf.yamlfmt import dump

SPARK_CORES_PER_NODE = 20
SPARK_NODES = 2


def _mysql(s: PartyServiceSettings) -> dict[str, Any]:
    return {
        "name": s.mysql.database,
        "user": s.mysql.user,
        "passwd": s.mysql.password,
        "host": s.mysql.host,
        "port": s.mysql.port,
        "max_connections": 100,
        "stale_timeout": 30,
    }


def _pulsar(s: PartyServiceSettings) -> dict[str, Any]:
    return {
        "host": s.pulsar.host,
        "port": s.pulsar.port,
        "mng_port": s.pulsar.mng_port,
        "cluster": "standalone",
        "tenant": "fl-tenant",
        "topic_ttl": s.pulsar.topic_ttl,
        "route_table": PULSAR_ROUTE_TABLE_RELATIVE,
        "mode": "replication",
        "max_message_size": s.pulsar.max_message_size,
    }


def _nginx(s: PartyServiceSettings) -> dict[str, Any]:
    return {"host": s.nginx.host, "http_port": s.nginx.http_port, "grpc_port": s.nginx.grpc_port, "protocol": "http"}


def _spark(s: PartyServiceSettings) -> dict[str, Any]:
    return {"home": s.spark_home, "cores_per_node": SPARK_CORES_PER_NODE, "nodes": SPARK_NODES}


def service_conf_2x(s: PartyServiceSettings) -> dict[str, Any]:
    from components.fateconf import ports

    return {
        "party_id": str(s.party_id),
        "use_registry": False,
        "fateflow": {
            "host": s.fateflow_host,
            "http_port": ports.FATEFLOW_HTTP,
            "grpc_port": ports.FATEFLOW_GRPC,
            "proxy_name": "nginx",
        },
        "database": {"engine": "mysql", "decrypt_key": None, "mysql": _mysql(s)},
        "default_engines": {"computing": "spark", "federation": "pulsar", "storage": "hdfs"},
        "federation": {"pulsar": _pulsar(s), "nginx": _nginx(s)},
        "computing": {"spark": _spark(s)},
        "storage": {"hdfs": {"name_node": s.hdfs_namenode}},
    }


def service_conf_1x(s: PartyServiceSettings) -> dict[str, Any]:
    from components.fateconf import ports

    return {
        "use_registry": False,
        "use_deserialize_safe_module": False,
        "dependent_distribution": False,
        "encrypt_password": False,
        "fateflow": {
            "host": s.fateflow_host,
            "http_port": ports.FATEFLOW_HTTP,
            "grpc_port": ports.FATEFLOW_GRPC,
            "proxy": "nginx",
            "protocol": "default",
        },
        "database": _mysql(s),
        "default_engines": {"computing": "spark", "federation": "pulsar", "storage": "hdfs"},
        "fate_on_spark": {
            "spark": _spark(s),
            "hdfs": {"name_node": s.hdfs_namenode, "path_prefix": None},
            "pulsar": _pulsar(s),
            "nginx": _nginx(s),
        },
        "fateboard": {"host": "fateboard", "port": ports.FATEBOARD_HTTP},
    }


def service_conf_yaml(s: PartyServiceSettings) -> str:
    """The party's service_conf.yaml in the layout of its FATE version."""
    version = check_version(s.fate_version)
    document = service_conf_2x(s) if version.startswith("2.") else service_conf_1x(s)
    return dump(document)
