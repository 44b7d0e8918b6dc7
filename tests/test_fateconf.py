"""FATE's own file formats, byte for byte, and read back by FATE Flow's own code where it can.

Expected texts follow the formats in KubeFATE's charts and FATE Flow 2.2's shipped conf (see
docs/fate-config.md); FATE Flow's loader runs from the real FATE Flow venv (scripts/fateflow-venv.sh).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from components.fateconf import ats, ports
from components.fateconf.fateboard import fateboard_application_properties
from components.fateconf.paths import config_paths
from components.fateconf.pulsar import pulsar_standalone_conf
from components.fateconf.routes import (
    exchange_nginx_route_table_yaml,
    party_nginx_route_table_yaml,
    pulsar_route_table_yaml,
)
from components.fateconf.service_conf import service_conf_yaml
from components.fateconf.settings import (
    Endpoint,
    MysqlSettings,
    PartyServiceSettings,
    PulsarExchange,
    PulsarRoute,
    PulsarSettings,
    validate_party_id,
)
from components.fateconf.spark import spark_defaults_conf
from components.fateconf.versions import UnknownFateVersion, image
from tests.support.fateflow_server import require_fateflow

SETTINGS = PartyServiceSettings(
    party_id=9999,
    fate_version="2.0.0",
    fateflow_host="fateflow-0.fateflow.fate-9999.svc.cluster.local",
    mysql=MysqlSettings("mysql", 3306, "fate_flow", "fate", "pw"),
    pulsar=PulsarSettings("pulsar", 6650, 6651, 8080),
    nginx=Endpoint("nginx", 9300, 9310),
    spark_master="spark://spark-master:7077",
    hdfs_namenode="hdfs://namenode:9000",
)
NGINX = Endpoint("nginx", 9300, 9310)
FATEFLOW = Endpoint("fateflow", 9380, 9360)


def test_party_nginx_route_table_with_exchange() -> None:
    text = party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW,
                                        exchange=Endpoint("192.0.2.7", 9300, 9310))
    assert text == (
        "default:\n  proxy:\n  - host: 192.0.2.7\n    http_port: 9300\n    grpc_port: 9310\n"
        "9999:\n  proxy:\n  - host: nginx\n    http_port: 9300\n    grpc_port: 9310\n"
        "  fateflow:\n  - host: fateflow\n    http_port: 9380\n    grpc_port: 9360\n"
    )


def test_party_nginx_route_table_without_exchange_has_no_default() -> None:
    table = yaml.safe_load(party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None))
    assert list(table) == [9999]


def test_party_cannot_route_to_itself_as_peer() -> None:
    with pytest.raises(ValueError, match="lists itself"):
        party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None, peers={9999: NGINX})


def test_exchange_nginx_routes_sorted_by_party() -> None:
    text = exchange_nginx_route_table_yaml(Endpoint("nginx-internal", 9300, 9310),
                                           {10000: Endpoint("203.0.113.20", 31349, 31874),
                                            9999: Endpoint("192.0.2.9", 9300, 9310)})
    assert text == (
        "default:\n  proxy:\n  - host: nginx-internal\n    http_port: 9300\n    grpc_port: 9310\n"
        "9999:\n  proxy:\n  - host: 192.0.2.9\n    http_port: 9300\n    grpc_port: 9310\n"
        "10000:\n  proxy:\n  - host: 203.0.113.20\n    http_port: 31349\n    grpc_port: 31874\n"
    )


def test_pulsar_route_table_int_keys_and_exchange_default() -> None:
    text = pulsar_route_table_yaml(9999, local=PulsarRoute("pulsar", 6650, 6651),
                                   exchange=PulsarExchange("192.0.2.8", 443, "fate.example.org"))
    assert text == (
        "9999:\n  host: pulsar\n  port: 6650\n  sslPort: 6651\n  proxy: ''\n"
        "default:\n  proxy: 192.0.2.8:443\n  domain: fate.example.org\n  brokerPort: 6650\n  brokerSslPort: 6651\n"
    )
    # FATE looks parties up with route_table.get(int(party_id)): keys must load as ints, no code patch.
    assert 9999 in yaml.safe_load(text)


def test_pulsar_standalone_conf_per_party_replicator_and_tls() -> None:
    plain = pulsar_standalone_conf(9999, tls=False)
    assert "replicatorPrefix=pulsar.repl.9999\n" in plain and "tlsEnabled" not in plain
    tls = pulsar_standalone_conf(10000, tls=True)
    assert "replicatorPrefix=pulsar.repl.10000\n" in tls
    for line in ("brokerServicePortTls=6651", "webServicePortTls=8081", "tlsEnabled=true",
                 "tlsCertificateFilePath=/opt/pulsar/certs/broker.cert.pem",
                 "tlsKeyFilePath=/opt/pulsar/certs/broker.key-pk8.pem",
                 "tlsTrustCertsFilePath=/opt/pulsar/certs/ca.cert.pem"):
        assert f"{line}\n" in tls


def test_spark_defaults() -> None:
    assert spark_defaults_conf(master="spark://spark-master:7077", driver_host="fateflow-0.fateflow") == (
        "spark.master                      spark://spark-master:7077\n"
        "spark.driver.host                 fateflow-0.fateflow\n"
        "spark.driver.bindAddress          0.0.0.0\n"
    )
    with pytest.raises(ValueError, match="not a Spark master URL"):
        spark_defaults_conf(master="spark-master:7077", driver_host="x")


def test_fateboard_properties() -> None:
    text = fateboard_application_properties(fateflow_url="http://fateflow:9380", username="admin", password="pw")
    assert text.startswith("server.port=8080\nfateflow.url=http://fateflow:9380\n"
                           "fateflow.url-list=http://fateflow:9380\nserver.board.login.username=admin\n"
                           "server.board.login.password=pw\n")
    with pytest.raises(ValueError, match="username and password"):
        fateboard_application_properties(fateflow_url="http://f:1", username="admin", password="")


def test_service_conf_2x_layout() -> None:
    conf = yaml.safe_load(service_conf_yaml(SETTINGS))
    assert conf["party_id"] == "9999"
    assert conf["fateflow"] == {"host": SETTINGS.fateflow_host, "http_port": 9380, "grpc_port": 9360,
                                "proxy_name": "nginx"}
    assert conf["database"]["engine"] == "mysql" and conf["database"]["mysql"]["passwd"] == "pw"
    assert conf["default_engines"] == {"computing": "spark", "federation": "pulsar", "storage": "hdfs"}
    assert conf["federation"]["pulsar"]["route_table"] == "conf/pulsar_route_table/pulsar_route_table.yaml"
    assert conf["storage"]["hdfs"]["name_node"] == "hdfs://namenode:9000"


def test_service_conf_1x_layout() -> None:
    conf = yaml.safe_load(service_conf_yaml(replace(SETTINGS, fate_version="1.11.2")))
    assert conf["fateflow"]["proxy"] == "nginx" and conf["database"]["passwd"] == "pw"
    assert conf["fate_on_spark"]["pulsar"]["host"] == "pulsar"
    assert conf["fate_on_spark"]["hdfs"]["name_node"] == "hdfs://namenode:9000"
    assert "party_id" not in conf


def test_service_conf_read_by_fate_flow(tmp_path: Path) -> None:
    """FATE Flow 2.2's own settings module loads our service_conf.yaml and sees what we meant."""
    venv = require_fateflow()
    (tmp_path / "service_conf.yaml").write_text(service_conf_yaml(SETTINGS))
    probe = f"""
import json, fate_flow.utils.conf_utils as c
c.conf_realpath = lambda name: "{tmp_path}/" + name
from fate_flow.runtime import system_settings as s
from fate_flow.utils.engine_utils import get_engines
print(json.dumps({{"host": s.HOST, "http": s.HTTP_PORT, "grpc": s.GRPC_PORT, "party": s.PARTY_ID,
    "proxy": s.PROXY_NAME, "db": s.DATABASE["engine"], "db_host": s.DATABASE["mysql"]["host"],
    "pulsar": s.PROXY["pulsar"]["host"], "engines": {{str(k): v for k, v in get_engines().items()}}}}))
"""
    result = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                            timeout=120, env={"HF_HOME": str(venv / "hf"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["host"] == SETTINGS.fateflow_host and seen["http"] == 9380 and seen["grpc"] == 9360
    assert seen["party"] == "9999" and seen["proxy"] == "nginx"
    assert seen["db"] == "mysql" and seen["db_host"] == "mysql" and seen["pulsar"] == "pulsar"
    assert {k: seen["engines"].get(k) for k in ("computing", "federation", "storage")} == {
        "computing": "spark", "federation": "pulsar", "storage": "hdfs"}


@pytest.mark.parametrize("module, version, expected", [
    ("fateflow", "2.0.0", "federatedai/fateflow-spark:2.0.0-release"),
    ("fateflow", "1.11.2", "federatedai/fateflow-spark:1.11.2-release"),
    ("pulsar", "2.0.0", "federatedai/pulsar:2.10.2"),
    ("pulsar", "1.11.2", "federatedai/pulsar:2.10.1"),
    ("hadoop-namenode", "2.0.0", "federatedai/hadoop-namenode:2.0.0-hadoop3.2.1-java8"),
    ("mysql", "2.0.0", "mysql:8.0.28"),
    ("kubefate", "1.11.2", "federatedai/kubefate:v1.4.5"),
])
def test_image_matrix(module: str, version: str, expected: str) -> None:
    assert image(module, version) == expected


def test_image_variants_and_registry() -> None:
    assert image("spark-worker", "2.0.0", algorithm="NN", device="GPU") == \
        "federatedai/spark-worker-nn-gpu:2.0.0-release"
    assert image("fateflow", "2.0.0", registry="harbor.example.com/fate/") == \
        "harbor.example.com/fate/fateflow-spark:2.0.0-release"
    assert image("mysql", "1.11.2", registry="harbor.example.com/fate") == "harbor.example.com/fate/mysql:8.0.28"


@pytest.mark.parametrize("call, error", [
    (lambda: image("fateflow", "3.0.0"), UnknownFateVersion),
    (lambda: image("eggroll", "2.0.0"), ValueError),
    (lambda: image("fateflow", "2.0.0", device="TPU"), ValueError),
])
def test_image_bad_input(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


@pytest.mark.parametrize("value, ok", [(9999, 9999), ("10000", 10000), (2**31 - 1, 2**31 - 1)])
def test_party_ids(value: object, ok: int) -> None:
    assert validate_party_id(value) == ok


@pytest.mark.parametrize("value", [0, -1, 2**31, "x9", True, None, 1.5])
def test_bad_party_ids(value: object) -> None:
    with pytest.raises(ValueError):
        validate_party_id(value)


@pytest.mark.parametrize("make", [
    lambda: Endpoint("", 9300, 9310), lambda: Endpoint("nginx", 0, 9310), lambda: Endpoint("a b", 1, 2),
    lambda: PulsarRoute("pulsar", 70000, 6651), lambda: PulsarExchange("proxy", 443, ""),
])
def test_settings_reject_bad_hosts_and_ports(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_paths_per_version() -> None:
    assert config_paths("2.0.0").service_conf_dir == "/data/projects/fate/fate_flow/conf"
    assert config_paths("1.11.2").service_conf_dir == "/data/projects/fate/conf"
    assert ports.FATEFLOW_HTTP == 9380


# --- Traffic Server ------------------------------------------------------------------------------------


def test_sni_yaml_sorted_tunnels() -> None:
    routes = [ats.SniRoute("10000.fate.org", "203.0.113.20", 31000), ats.SniRoute("9999.fate.org", "192.0.2.9", 6651)]
    assert ats.sni_yaml(routes) == (
        "sni:\n- fqdn: 10000.fate.org\n  tunnel_route: 203.0.113.20:31000\n"
        "- fqdn: 9999.fate.org\n  tunnel_route: 192.0.2.9:6651\n"
    )
    assert ats.sni_yaml([]) == "sni: []\n"


def test_connect_ports_admit_every_routed_port() -> None:
    routes = [ats.SniRoute("9999.fate.org", "h", 6651), ats.SniRoute("1.fate.org", "h", 8443)]
    assert ats.connect_ports(routes) == "443 6650-6700 30000-33000 8443"


def test_records_config() -> None:
    records = ats.records_config(tls_port=443, connect_port_list="443", cert_dir="/opt/proxy")
    assert records.startswith("CONFIG proxy.config.http.server_ports STRING 443:ssl\n"
                              "CONFIG proxy.config.http.connect_ports STRING 443\n")
    assert "CONFIG proxy.config.ssl.servername.filename STRING sni.yaml\n" in records


def test_ssl_multicert() -> None:
    assert ats.ssl_multicert_config() == "dest_ip=* ssl_cert_name=proxy.cert.pem ssl_key_name=proxy.key.pem\n"


@pytest.mark.parametrize("make, message", [
    (lambda: ats.SniRoute("not a name", "h", 1), "not a DNS name"),
    (lambda: ats.SniRoute("9999.fate.org", "h:1", 1), "not a host name"),
    (lambda: ats.SniRoute("9999.fate.org", "h", 0), "not 1..65535"),
    (lambda: ats.sni_yaml([ats.SniRoute("9999.fate.org", "a", 1), ats.SniRoute("9999.fate.org", "b", 2)]),
     "two SNI routes"),
])
def test_ats_bad_input(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
