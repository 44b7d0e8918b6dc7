"""service_conf.yaml byte for byte in FATE 2.x and 1.x layouts (FATE Flow's own reading of it is in
test_fateconf_fateflow.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from components.fateconf.service_conf import service_conf, service_conf_yaml
from components.fateconf.settings import Endpoint, MysqlSettings, PartyServiceSettings, PulsarSettings

SETTINGS = PartyServiceSettings(
    party_id=9999, fate_version="2.0.0", fateflow_host="fateflow-0.fateflow.fate-9999.svc.cluster.local",
    mysql=MysqlSettings("mysql", 3306, "fate_flow", "fate", "pw"), pulsar=PulsarSettings("pulsar", 6650, 6651, 8080),
    nginx=Endpoint("nginx", 9300, 9310), spark_master="spark://spark-master:7077", hdfs_namenode="hdfs://namenode:9000",
)

DATABASE = (
    "    name: fate_flow\n    user: fate\n    passwd: pw\n    host: mysql\n    port: 3306\n"
    "    max_connections: 100\n    stale_timeout: 30\n"
)
PULSAR = (
    "    host: pulsar\n    port: 6650\n    mng_port: 8080\n    cluster: standalone\n    tenant: fl-tenant\n"
    "    topic_ttl: 30\n    route_table: {route_table}\n    mode: replication\n    max_message_size: 1048576\n"
)
ENGINES = "default_engines:\n  computing: spark\n  federation: pulsar\n  storage: hdfs\n"

FATE_2 = (
    "party_id: '9999'\n"
    "use_registry: false\n"
    "log_level: 20\n"
    "fateflow:\n  host: fateflow-0.fateflow.fate-9999.svc.cluster.local\n  http_port: 9380\n  grpc_port: 9360\n"
    "  proxy_name: nginx\n"
    "database:\n  engine: mysql\n  decrypt_key: null\n  mysql:\n" + DATABASE
    + ENGINES
    + "default_provider:\n  name: fate\n  version: null\n  device: local\n"
    "computing:\n  spark:\n    home: /data/projects/spark-3.1.3-bin-hadoop3.2\n    cores: 32\n"
    "federation:\n  pulsar:\n" + PULSAR.format(route_table="conf/pulsar_route_table.yaml")
    + "  nginx:\n    host: nginx\n    http_port: 9300\n    grpc_port: 9310\n    protocol: http\n"
    "storage:\n  hdfs:\n    name_node: hdfs://namenode:9000\n"
    "model_store:\n  engine: file\n  decrypt_key: null\n  file:\n    path: /data/projects/fate/fate_flow/model\n"
)

FATE_1 = (
    "party_id: 9999\n"
    "use_registry: false\n"
    "use_deserialize_safe_module: false\n"
    "dependent_distribution: false\n"
    "encrypt_password: false\n"
    "fateflow:\n  host: fateflow-0.fateflow.fate-9999.svc.cluster.local\n  http_port: 9380\n  grpc_port: 9360\n"
    "  random_instance_id: false\n  proxy: nginx\n  protocol: default\n"
    "database:\n" + DATABASE.replace("    ", "  ")
    + ENGINES
    + "fate_on_spark:\n"
    "  spark:\n    home: /data/projects/spark-3.1.3-bin-hadoop3.2\n    cores_per_node: 16\n    nodes: 2\n"
    "  hdfs:\n    name_node: hdfs://namenode:9000\n    path_prefix: null\n"
    "  pulsar:\n" + PULSAR.format(route_table="conf/pulsar_route_table/pulsar_route_table.yaml")
    + "  nginx:\n    host: nginx\n    http_port: 9300\n    grpc_port: 9310\n"
    "fateboard:\n  host: fateboard\n  port: 8080\n"
    "enable_model_store: false\n"
)


def test_fate_2_layout() -> None:
    assert service_conf_yaml(SETTINGS) == FATE_2


def test_fate_1_layout() -> None:
    assert service_conf_yaml(replace(SETTINGS, fate_version="1.11.2")) == FATE_1


def test_spark_core_pool_follows_the_workers() -> None:
    settings = replace(SETTINGS, spark_nodes=4, spark_cores_per_node=8)
    assert service_conf(settings)["computing"]["spark"]["cores"] == 32
    assert service_conf(replace(settings, fate_version="1.11.2"))["fate_on_spark"]["spark"] == {
        "home": "/data/projects/spark-3.1.3-bin-hadoop3.2", "cores_per_node": 8, "nodes": 4}


@pytest.mark.parametrize("password", ["p: w", "'quoted'", "#not-a-comment", "yes", "0123", "ünï", "a\\b"])
def test_any_password_reads_back_as_the_same_string(password: str) -> None:
    settings = replace(SETTINGS, mysql=replace(SETTINGS.mysql, password=password))
    for version in ("2.0.0", "1.11.2"):
        conf = yaml.safe_load(service_conf_yaml(replace(settings, fate_version=version)))
        database = conf["database"]["mysql"] if version == "2.0.0" else conf["database"]
        assert database["passwd"] == password


def test_external_engines_are_written_as_given() -> None:
    settings = replace(SETTINGS, spark_master="spark://spark.example.org:7077",
                       hdfs_namenode="hdfs://hdfs.example.org:8020",
                       pulsar=PulsarSettings("pulsar.example.org", 16650, 16651, 18080, topic_ttl=5),
                       mysql=MysqlSettings("db.example.org", 13306, "fate", "flow", "x"))
    conf = service_conf(settings)
    assert conf["storage"]["hdfs"]["name_node"] == "hdfs://hdfs.example.org:8020"
    assert conf["federation"]["pulsar"]["host"] == "pulsar.example.org"
    assert (conf["federation"]["pulsar"]["port"], conf["federation"]["pulsar"]["mng_port"]) == (16650, 18080)
    assert conf["database"]["mysql"]["host"] == "db.example.org" and conf["database"]["mysql"]["port"] == 13306
