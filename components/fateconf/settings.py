"""Plain, validated settings the FATE config generators take (frozen dataclasses, no Pulumi).

Every check lives here, so a bad value fails when the settings are built, before any file is rendered,
with a message naming the field and the fix.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from facts.versions import check_version
from specs.values import MAX_PORT, MIN_PORT, host_problem, url_problem, validate_party_id


def validate_port(value: Any, key: str) -> int:
    """A TCP port; `key` names the setting in the message."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_PORT <= value <= MAX_PORT:
        raise ValueError(f"{key} is {value!r}: give a TCP port number in {MIN_PORT}..{MAX_PORT}")
    return value


def validate_host(value: Any, key: str) -> str:
    """A host name (DNS labels joined by dots) or an IP address; no scheme, no port, no spaces."""
    problem = host_problem(value)
    if problem:
        raise ValueError(f"{key} {problem}")
    return value


def validate_positive(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} is {value!r}: give a whole number of at least 1")
    return value


def _validate_url(value: Any, key: str, schemes: tuple[str, ...], example: str) -> str:
    problem = url_problem(value, schemes, example)
    if problem:
        raise ValueError(f"{key} {problem}")
    return value


def validate_spark_master(value: Any, key: str = "spark_master") -> str:
    return _validate_url(value, key, ("spark://", "local", "k8s://", "yarn"), "spark://spark-master:7077")


def validate_hdfs_namenode(value: Any, key: str = "hdfs_namenode") -> str:
    return _validate_url(value, key, ("hdfs://",), "hdfs://namenode:9000")


@dataclass(frozen=True)
class Endpoint:
    """An nginx or FATE Flow endpoint: one host, an HTTP and a gRPC port."""

    host: str
    http_port: int
    grpc_port: int

    def __post_init__(self) -> None:
        validate_host(self.host, "endpoint host")
        validate_port(self.http_port, f"endpoint {self.host} http_port")
        validate_port(self.grpc_port, f"endpoint {self.host} grpc_port")


@dataclass(frozen=True)
class MysqlSettings:
    """FATE Flow's database. The password may be empty here (filled in later from a Secret)."""

    host: str
    port: int
    database: str
    user: str
    password: str

    def __post_init__(self) -> None:
        validate_host(self.host, "mysql host")
        validate_port(self.port, "mysql port")
        for key in ("database", "user"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"mysql {key} is {value!r}: give a MySQL {key} name (e.g. fate_flow)")
        if not isinstance(self.password, str) or "\n" in self.password:
            raise ValueError("mysql password must be a single-line string")


@dataclass(frozen=True)
class PulsarSettings:
    """Where FATE Flow finds its party's own Pulsar broker (service_conf.yaml `pulsar`)."""

    host: str
    port: int
    ssl_port: int
    mng_port: int
    topic_ttl: int = 30
    max_message_size: int = 1048576

    def __post_init__(self) -> None:
        validate_host(self.host, "pulsar host")
        for key in ("port", "ssl_port", "mng_port"):
            validate_port(getattr(self, key), f"pulsar {key}")
        validate_positive(self.topic_ttl, "pulsar topic_ttl (minutes)")
        validate_positive(self.max_message_size, "pulsar max_message_size (bytes)")


@dataclass(frozen=True)
class PulsarRoute:
    """One party's entry in the Pulsar route table: its broker, and optionally an SNI proxy `host:port`."""

    host: str
    port: int
    ssl_port: int
    proxy: str = ""

    def __post_init__(self) -> None:
        validate_host(self.host, "pulsar route host")
        validate_port(self.port, "pulsar route port")
        validate_port(self.ssl_port, "pulsar route ssl_port")
        if self.proxy:
            host, _, port = self.proxy.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"pulsar route proxy is {self.proxy!r}: write it as host:port (e.g. 192.0.2.8:443)")
            validate_host(host, "pulsar route proxy host")
            validate_port(int(port), "pulsar route proxy port")


@dataclass(frozen=True)
class PulsarExchange:
    """The route table's `default`: any other party is `<partyId>.<domain>`, reached through this SNI proxy."""

    proxy_host: str
    proxy_port: int
    domain: str

    def __post_init__(self) -> None:
        validate_host(self.proxy_host, "exchange proxy_host")
        validate_port(self.proxy_port, "exchange proxy_port")
        try:
            ipaddress.ip_address(self.domain)
            is_ip = True
        except ValueError:
            is_ip = False
        if is_ip or "." not in str(self.domain):
            raise ValueError(f"exchange domain is {self.domain!r}: give a DNS domain (e.g. fate.example.org)")
        validate_host(self.domain, "exchange domain")


@dataclass(frozen=True)
class PartyServiceSettings:
    """Everything service_conf.yaml says about one party (computing spark, federation pulsar, storage hdfs)."""

    party_id: int
    fate_version: str
    fateflow_host: str
    mysql: MysqlSettings
    pulsar: PulsarSettings
    nginx: Endpoint
    spark_master: str
    hdfs_namenode: str
    spark_home: str = "/data/projects/spark-3.1.3-bin-hadoop3.2"
    spark_nodes: int = 2
    """Spark workers FATE Flow may use (1.x `cores_per_node` x `nodes`; 2.x their product as `cores`)."""
    spark_cores_per_node: int = 16
    fateboard_host: str = "fateboard"
    """Where FATE Flow 1.x links job pages to (service_conf.yaml `fateboard`)."""

    def __post_init__(self) -> None:
        validate_party_id(self.party_id)
        check_version(self.fate_version)
        validate_host(self.fateflow_host, "fateflow_host")
        validate_host(self.fateboard_host, "fateboard_host")
        validate_spark_master(self.spark_master)
        validate_hdfs_namenode(self.hdfs_namenode)
        if not self.spark_home.startswith("/"):
            raise ValueError(f"spark_home is {self.spark_home!r}: give the absolute path of Spark in the image")
        validate_positive(self.spark_nodes, "spark_nodes")
        validate_positive(self.spark_cores_per_node, "spark_cores_per_node")

    @property
    def spark_cores(self) -> int:
        return self.spark_nodes * self.spark_cores_per_node
