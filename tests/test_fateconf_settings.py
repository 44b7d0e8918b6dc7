"""Settings refuse bad party ids, hosts and ports when built, with the field and the fix in the message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.fateconf.settings import (
    Endpoint,
    MysqlSettings,
    PartyServiceSettings,
    PulsarExchange,
    PulsarRoute,
    PulsarSettings,
    validate_host,
    validate_port,
)
from facts.versions import UnknownFateVersion
from specs.values import MAX_PARTY_ID, validate_party_id

PARTY = PartyServiceSettings(
    party_id=9999, fate_version="2.0.0", fateflow_host="fateflow-0.fateflow.fate-9999.svc.cluster.local",
    mysql=MysqlSettings("mysql", 3306, "fate_flow", "fate", "pw"), pulsar=PulsarSettings("pulsar", 6650, 6651, 8080),
    nginx=Endpoint("nginx", 9300, 9310), spark_master="spark://spark-master:7077", hdfs_namenode="hdfs://namenode:9000",
)


@pytest.mark.parametrize("value, expected", [(9999, 9999), ("10000", 10000), (" 42 ", 42), (1, 1),
                                             (MAX_PARTY_ID, 2147483647)])
def test_party_ids_accepted(value: object, expected: int) -> None:
    assert validate_party_id(value) == expected


@pytest.mark.parametrize("value, message", [
    (0, "out of FATE's range 1..2147483647"), (-1, "out of FATE's range"), (2**31, "out of FATE's range"),
    ("x9", "not a party id"), ("９９", "not a party id"), (True, "not true/false"), (None, "not a party id"),
    (1.5, "not a party id"),
])
def test_party_ids_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_party_id(value)


@pytest.mark.parametrize("host", ["nginx", "fateflow-0.fateflow.fate-9999.svc.cluster.local", "192.0.2.7", "2001:db8::1",
                                  "10000.fate.example.org", "Proxy.Example.org."])
def test_hosts_accepted(host: str) -> None:
    assert validate_host(host, "h") == host


@pytest.mark.parametrize("host", ["", "a b", "nginx:9300", "http://nginx", "-nginx", "a..b", "x" * 64, None])
def test_hosts_refused(host: object) -> None:
    with pytest.raises(ValueError, match="nginx endpoint host"):
        validate_host(host, "nginx endpoint host")


@pytest.mark.parametrize("port", [0, 65536, -1, "9300", True, 1.0])
def test_ports_refused(port: object) -> None:
    with pytest.raises(ValueError, match=r"mysql port is .*1\.\.65535"):
        validate_port(port, "mysql port")


@pytest.mark.parametrize("make, message", [
    (lambda: Endpoint("", 9300, 9310), "endpoint host"),
    (lambda: Endpoint("nginx", 0, 9310), "endpoint nginx http_port"),
    (lambda: Endpoint("nginx", 9300, 70000), "endpoint nginx grpc_port"),
    (lambda: MysqlSettings("mysql", 3306, "", "fate", "pw"), "mysql database"),
    (lambda: MysqlSettings("mysql", 3306, "fate_flow", " ", "pw"), "mysql user"),
    (lambda: MysqlSettings("mysql", 3306, "fate_flow", "fate", "a\nb"), "single-line"),
    (lambda: PulsarSettings("pulsar", 6650, 6651, 0), "pulsar mng_port"),
    (lambda: PulsarSettings("pulsar", 6650, 6651, 8080, topic_ttl=0), "topic_ttl"),
    (lambda: PulsarRoute("pulsar", 70000, 6651), "pulsar route port"),
    (lambda: PulsarRoute("pulsar", 6650, 6651, proxy="proxy"), "host:port"),
    (lambda: PulsarExchange("proxy", 443, ""), "exchange domain"),
    (lambda: PulsarExchange("proxy", 443, "localhost"), "exchange domain"),
    (lambda: PulsarExchange("proxy", 443, "192.0.2.1"), "exchange domain"),
    (lambda: PulsarExchange("proxy", 0, "fate.org"), "exchange proxy_port"),
])
def test_settings_name_the_bad_field(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize("change, error, message", [
    ({"party_id": 0}, ValueError, "out of FATE's range"),
    ({"fate_version": "2.2.0"}, UnknownFateVersion, "use one of 2.0.0, 1.11.2"),
    ({"fateflow_host": "fateflow:9380"}, ValueError, "fateflow_host"),
    ({"spark_master": "spark-master:7077"}, ValueError, "spark_master .* spark://"),
    ({"hdfs_namenode": "namenode:9000"}, ValueError, "hdfs_namenode .* hdfs://"),
    ({"spark_home": "spark"}, ValueError, "absolute path"),
    ({"spark_nodes": 0}, ValueError, "spark_nodes"),
    ({"fateboard_host": ""}, ValueError, "fateboard_host"),
])
def test_party_settings_refuse_bad_values(change: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        replace(PARTY, **change)  # type: ignore[arg-type]


def test_spark_cores_is_the_pool_over_all_workers() -> None:
    assert replace(PARTY, spark_nodes=3, spark_cores_per_node=8).spark_cores == 24
