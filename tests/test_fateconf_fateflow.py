"""Our service_conf.yaml and Pulsar route table, read by the REAL FATE Flow 2.2.0 and FATE 2.2.0 code
(the venv scripts/fateflow-venv.sh builds), each probe in a subprocess of that venv's python.

FATE Flow's own config loader reads service_conf.yaml (its `conf_realpath` and conf directory pointed at
a temporary directory); its own TaskParser builds a job's federation spec from our route table; FATE's
own `load_federation` and Pulsar federation then decide which Pulsar cluster URL a peer gets.
Test doubles, because no Pulsar broker runs here: the Pulsar admin REST client (`PulsarManager`) is
replaced by a recorder of the clusters FATE registers, and the `pulsar` client library module by an
empty module (it is only used once messages flow). Everything else is FATE's code.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.fateconf.routes import pulsar_route_table_yaml
from components.fateconf.service_conf import service_conf_yaml
from components.fateconf.settings import (
    Endpoint,
    MysqlSettings,
    PartyServiceSettings,
    PulsarExchange,
    PulsarRoute,
    PulsarSettings,
)
from tests.support.fateflow_server import venv_path
from tests.support.peers import require_peer

SETTINGS = PartyServiceSettings(
    party_id=9999, fate_version="2.0.0", fateflow_host="fateflow-0.fateflow.fate-9999.svc.cluster.local",
    mysql=MysqlSettings("mysql", 3306, "fate_flow", "fate", "p: w#1"), pulsar=PulsarSettings("pulsar", 6650, 6651, 8080),
    nginx=Endpoint("nginx", 9300, 9310), spark_master="spark://spark-master:7077", hdfs_namenode="hdfs://namenode:9000",
    spark_nodes=3, spark_cores_per_node=8,
)
LOCAL_BROKER = PulsarRoute("pulsar", 6650, 6651)
EXCHANGE = PulsarExchange("192.0.2.8", 443, "fate.example.org")

PROBE = r'''
import json, sys, types
conf_dir, peer = sys.argv[1], sys.argv[2]
import fate_flow.utils.conf_utils as conf_utils
conf_utils.conf_realpath = lambda name: f"{conf_dir}/{name}"
from fate_flow.runtime import system_settings as s
s.FATE_FLOW_CONF_PATH = conf_dir
from fate_flow.utils.api_utils import get_federated_proxy_address
from fate_flow.utils.engine_utils import get_engines, get_engines_config_from_conf
from fate_flow.manager.outputs.model.model_manager import PipelinedModel
from fate_flow.controller.parser import TaskParser
from fate_flow.entity.spec.dag import PartySpec
seen = {"host": s.HOST, "http_port": s.HTTP_PORT, "grpc_port": s.GRPC_PORT, "party_id": s.PARTY_ID,
        "proxy": list(get_federated_proxy_address()), "engines": {str(k): v for k, v in get_engines().items()},
        "spark": get_engines_config_from_conf()["computing"]["spark"], "provider": s.DEFAULT_PROVIDER,
        "database": s.DATABASE, "model_store": [type(PipelinedModel.handle).__name__, PipelinedModel.handle.path]}
try:
    parser = TaskParser(task_node=None, job_id="j", task_name="t", role="guest", party_id="9999", task_id="t1",
                        task_version=0, parties=[PartySpec(role="guest", party_id=["9999"]),
                                                 PartySpec(role="host", party_id=[peer])])
    spec = json.loads(parser.generate_federation_conf().json())
except Exception as error:
    print(json.dumps({**seen, "federation_error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)
sys.modules["pulsar"] = types.ModuleType("pulsar")
import fate.arch.federation.backends.pulsar._federation as pulsar_federation
registered = []
class Reply:
    def __init__(self, body, status=200):
        self.body, self.status_code, self.ok, self.text = body, status, status < 300, ""
    def json(self):
        return self.body
class RecordingPulsarAdmin:
    def __init__(self, host, port, runtime_config=None):
        self.runtime_config = runtime_config or {}
    def get_tenant(self, tenant): return Reply({"allowedClusters": ["standalone"], "admins": []})
    def get_cluster(self, name): return Reply({})
    def create_cluster(self, cluster_name, broker_url, broker_url_tls, proxy_url):
        registered.append({"cluster": cluster_name, "url": broker_url, "tls": broker_url_tls, "proxy": proxy_url})
        return Reply({})
    def update_tenant(self, *args, **kwargs): return Reply({})
    def get_namespace(self, tenant): return Reply([])
    def create_namespace(self, *args, **kwargs): return Reply({}, 204)
    def set_retention(self, *args, **kwargs): return Reply({})
pulsar_federation.PulsarManager = RecordingPulsarAdmin
from fate.components.core._load_federation import load_federation
from fate.components.core.spec.federation import PulsarFederationSpec
from fate.arch.federation.message_queue._parties import Party
federation = load_federation(PulsarFederationSpec.parse_obj(spec), None)
federation._maybe_create_topic_and_replication(Party("host", peer), "probe")
print(json.dumps({**seen, "route_table": spec["metadata"]["route_table"], "registered": registered}))
'''


def _fate_flow_reads(tmp_path: Path, service_conf: str, route_table: str, peer: int = 10000) -> dict[str, Any]:
    venv = venv_path()
    require_peer("FATE Flow 2.2.0 venv", venv is not None,
                 "run `make test` (scripts/fateflow-venv.sh builds it and FATE_FLOW_VENV names it)")
    assert venv is not None
    (tmp_path / "service_conf.yaml").write_text(service_conf)
    (tmp_path / "pulsar_route_table.yaml").write_text(route_table)
    (tmp_path / "probe.py").write_text(PROBE)
    result = subprocess.run([str(venv / "bin" / "python"), str(tmp_path / "probe.py"), str(tmp_path), str(peer)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={"HF_HOME": str(venv / "hf"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fate_2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    routes = pulsar_route_table_yaml(9999, local=LOCAL_BROKER, exchange=EXCHANGE)
    return _fate_flow_reads(tmp_path_factory.mktemp("fate2"), service_conf_yaml(SETTINGS), routes)


def test_fate_flow_serves_and_advertises_what_we_wrote(fate_2: dict[str, Any]) -> None:
    assert (fate_2["host"], fate_2["http_port"], fate_2["grpc_port"]) == (SETTINGS.fateflow_host, 9380, 9360)
    assert fate_2["party_id"] == "9999"
    assert fate_2["database"]["engine"] == "mysql"
    assert {k: fate_2["database"]["mysql"][k] for k in ("host", "port", "name", "user", "passwd")} == {
        "host": "mysql", "port": 3306, "name": "fate_flow", "user": "fate", "passwd": "p: w#1"}


def test_fate_flow_sends_federated_calls_to_the_party_nginx(fate_2: dict[str, Any]) -> None:
    assert fate_2["proxy"] == ["nginx", 9300, "http", "nginx"]


def test_fate_flow_runs_spark_pulsar_hdfs_with_a_core_pool(fate_2: dict[str, Any]) -> None:
    assert fate_2["engines"] == {"computing": "spark", "federation": "pulsar", "storage": "hdfs",
                                 "federated_mode": "MULTIPLE"}
    assert fate_2["spark"] == {"home": "/data/projects/spark-3.1.3-bin-hadoop3.2", "cores": 24}


def test_fate_flow_finds_its_provider_and_model_store(fate_2: dict[str, Any]) -> None:
    assert fate_2["provider"] == {"name": "fate", "version": None, "device": "local"}
    assert fate_2["model_store"] == ["FileHandle", "/data/projects/fate/fate_flow/model"]


def test_fate_reaches_a_peer_as_party_dot_domain_through_the_exchange(fate_2: dict[str, Any]) -> None:
    assert fate_2["route_table"]["default"] == {"domain": "fate.example.org", "brokerPort": 6650,
                                                "brokerSslPort": 6651, "proxy": "192.0.2.8:443"}
    assert fate_2["registered"] == [{"cluster": "10000", "url": "pulsar://10000.fate.example.org:6650",
                                     "tls": "pulsar+ssl://10000.fate.example.org:6651",
                                     "proxy": "pulsar+ssl://192.0.2.8:443"}]


def test_fate_2_never_uses_a_direct_pulsar_route(tmp_path: Path) -> None:
    """Why routes.py refuses direct peers for FATE 2.x: FATE Flow turns the keys into strings, FATE looks
    them up as ints, so even a listed peer is reached through the default."""
    routes = pulsar_route_table_yaml(9999, local=LOCAL_BROKER, exchange=EXCHANGE, fate_version="1.11.2",
                                     peers={10000: PulsarRoute("192.0.2.10", 30105, 30109)})
    seen = _fate_flow_reads(tmp_path, service_conf_yaml(SETTINGS), routes)
    assert set(seen["route_table"]["route"]) == {"9999", "10000"}
    assert seen["registered"][0]["tls"] == "pulsar+ssl://10000.fate.example.org:6651"


def test_fate_flow_refuses_a_default_without_broker_ports(tmp_path: Path) -> None:
    """Why our `default` always carries brokerPort/brokerSslPort: KubeFATE 2.0's exchange default omits
    them, and FATE Flow 2.x's federation spec then fails every job."""
    chart_style = 'default:\n  proxy: "192.0.2.8:443"\n  domain: "fate.example.org"\n'
    seen = _fate_flow_reads(tmp_path, service_conf_yaml(SETTINGS), chart_style)
    assert seen["federation_error"].startswith("ValidationError") and "brokerPort" in seen["federation_error"]

