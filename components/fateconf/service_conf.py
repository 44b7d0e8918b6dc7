"""service_conf.yaml, the file FATE Flow reads at start, in the layout of the party's FATE version.

FATE 2.x: `database.mysql`, `federation.{pulsar,nginx}`, `computing.spark`, `storage.hdfs`,
`default_provider` and `model_store` (FATE Flow 2.x fails without the last two: model storage reads
`model_store.engine`, provider lookup reads `default_provider.name`). `computing.spark.cores` is the core
pool FATE Flow 2.x schedules jobs from: 0 would leave every job waiting.
FATE 1.x: `database`, `fate_on_spark.{spark,hdfs,pulsar,nginx}`, `fateflow.proxy`.

It holds the MySQL password, so it is mounted from a Secret, never a ConfigMap. FATE Flow advertises
`fateflow_host`, a stable DNS name, so no start-up script has to patch the pod IP in.
"""

from __future__ import annotations

from typing import Any

from components.fateconf.settings import PartyServiceSettings
from components.fateconf.yamlfmt import dump
from facts import ports
from facts.paths import config_paths
from facts.versions import is_fate_2

DEFAULT_ENGINES = {"computing": "spark", "federation": "pulsar", "storage": "hdfs"}
PULSAR_TENANT = "fl-tenant"
PULSAR_CLUSTER = "standalone"
"""The broker's own cluster name: standalone.conf `clusterName` (see pulsar.py) must match."""


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
        "cluster": PULSAR_CLUSTER,
        "tenant": PULSAR_TENANT,
        "topic_ttl": s.pulsar.topic_ttl,
        "route_table": config_paths(s.fate_version).pulsar_route_table_relative,
        "mode": "replication",
        "max_message_size": s.pulsar.max_message_size,
    }


def _nginx(s: PartyServiceSettings) -> dict[str, Any]:
    return {"host": s.nginx.host, "http_port": s.nginx.http_port, "grpc_port": s.nginx.grpc_port, "protocol": "http"}


def _fateflow(s: PartyServiceSettings) -> dict[str, Any]:
    return {"host": s.fateflow_host, "http_port": ports.FATEFLOW_HTTP, "grpc_port": ports.FATEFLOW_GRPC}


def service_conf_2x(s: PartyServiceSettings) -> dict[str, Any]:
    return {
        "party_id": str(s.party_id),
        "use_registry": False,
        "log_level": 20,
        "fateflow": {**_fateflow(s), "proxy_name": "nginx"},
        "database": {"engine": "mysql", "decrypt_key": None, "mysql": _mysql(s)},
        "default_engines": DEFAULT_ENGINES,
        "default_provider": {"name": "fate", "version": None, "device": "local"},
        "computing": {"spark": {"home": s.spark_home, "cores": s.spark_cores}},
        "federation": {"pulsar": _pulsar(s), "nginx": _nginx(s)},
        "storage": {"hdfs": {"name_node": s.hdfs_namenode}},
        "model_store": {"engine": "file", "decrypt_key": None,
                        "file": {"path": config_paths(s.fate_version).fateflow_data_sub_paths["model"]}},
    }


def service_conf_1x(s: PartyServiceSettings) -> dict[str, Any]:
    return {
        "party_id": s.party_id,
        "use_registry": False,
        "use_deserialize_safe_module": False,
        "dependent_distribution": False,
        "encrypt_password": False,
        "fateflow": {**_fateflow(s), "random_instance_id": False, "proxy": "nginx", "protocol": "default"},
        "database": _mysql(s),
        "default_engines": DEFAULT_ENGINES,
        "fate_on_spark": {
            "spark": {"home": s.spark_home, "cores_per_node": s.spark_cores_per_node, "nodes": s.spark_nodes},
            "hdfs": {"name_node": s.hdfs_namenode, "path_prefix": None},
            "pulsar": _pulsar(s),
            "nginx": {key: value for key, value in _nginx(s).items() if key != "protocol"},
        },
        "fateboard": {"host": s.fateboard_host, "port": ports.FATEBOARD_HTTP},
        "enable_model_store": False,
    }


def service_conf(s: PartyServiceSettings) -> dict[str, Any]:
    """The document as plain data (for tests and tools that compare structures)."""
    return service_conf_2x(s) if is_fate_2(s.fate_version) else service_conf_1x(s)


def service_conf_yaml(s: PartyServiceSettings) -> str:
    """The party's service_conf.yaml in the layout of its FATE version."""
    return dump(service_conf(s))


def spark_worker_service_conf_yaml(s: PartyServiceSettings) -> str:
    """The service_conf.yaml FATE's code in the Spark executors reads: FATE Flow's, without the database
    (the executors never open it), so it holds no password and is a ConfigMap (KubeFATE mounts a dummy too)."""
    document = service_conf(s)
    document.pop("database", None)
    return dump(document)
