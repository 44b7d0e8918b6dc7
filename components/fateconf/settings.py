"""Plain, validated settings the FATE config generators take (frozen dataclasses, no Pulumi)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_PARTY_ID = 1
MAX_PARTY_ID = 2**31 - 1
"""FATE keeps party ids as integers (fateboard and eggroll as Java ints); 0 and negatives are not ids."""


def validate_party_id(value: Any) -> int:
    """A FATE party id as an int: digits only (a string of digits is fine), within FATE's range."""
    if isinstance(value, bool):
        raise ValueError("party ids are numbers (e.g. 9999), not true/false")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError(f"{value!r} is not a party id: party ids are numbers (e.g. 9999)")
    if not MIN_PARTY_ID <= value <= MAX_PARTY_ID:
        raise ValueError(f"party id {value} is out of FATE's range {MIN_PARTY_ID}..{MAX_PARTY_ID}: pick one inside it")
    return value


def _check_port(owner: str, name: str, port: int) -> None:
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ValueError(f"{owner}.{name} is {port!r}: ports are 1..65535")


def _check_host(owner: str, host: str) -> None:
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
        raise ValueError(f"{owner}.host is {host!r}: give a host name or address")


@dataclass(frozen=True)
class Endpoint:
    """An nginx or FATE Flow endpoint: one host, an HTTP and a gRPC port."""

    host: str
    http_port: int
    grpc_port: int

    def __post_init__(self) -> None:
        _check_host("endpoint", self.host)
        _check_port("endpoint", "http_port", self.http_port)
        _check_port("endpoint", "grpc_port", self.grpc_port)


@dataclass(frozen=True)
class MysqlSettings:
    host: str
    port: int
    database: str
    user: str
    password: str

    def __post_init__(self) -> None:
        _check_host("mysql", self.host)
        _check_port("mysql", "port", self.port)


@dataclass(frozen=True)
class PulsarSettings:
    host: str
    port: int
    ssl_port: int
    mng_port: int
    topic_ttl: int = 30
    max_message_size: int = 1048576

    def __post_init__(self) -> None:
        _check_host("pulsar", self.host)
        for name in ("port", "ssl_port", "mng_port"):
            _check_port("pulsar", name, getattr(self, name))


@dataclass(frozen=True)
class PulsarRoute:
    """One entry of the Pulsar route table: where a party's broker is (and an optional SNI proxy)."""

    host: str
    port: int
    ssl_port: int
    proxy: str = ""

    def __post_init__(self) -> None:
        _check_host("pulsar route", self.host)
        _check_port("pulsar route", "port", self.port)
        _check_port("pulsar route", "ssl_port", self.ssl_port)


@dataclass(frozen=True)
class PulsarExchange:
    """The route table's `default`: unknown parties are `<partyId>.<domain>` through this SNI proxy."""

    proxy_host: str
    proxy_port: int
    domain: str

    def __post_init__(self) -> None:
        _check_host("exchange proxy", self.proxy_host)
        _check_port("exchange proxy", "port", self.proxy_port)
        if not self.domain or " " in self.domain:
            raise ValueError(f"exchange domain {self.domain!r} is not a DNS name")


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

    def __post_init__(self) -> None:
        validate_party_id(self.party_id)
        _check_host("fateflow", self.fateflow_host)
