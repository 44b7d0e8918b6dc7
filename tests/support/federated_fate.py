"""Two REAL FATE Flow 2.2 parties (9999 and 10000) on loopback whose federation is real Pulsar brokers behind the
real exchange, each configured from OUR RENDERED files for that party, as far as they apply outside Kubernetes.

What runs, and from what:
- Pulsar 2.10.2 brokers (scripts/install-pulsar.sh) from each party's rendered standalone.conf and certificates
  (tests/support/pulsar_peer.py), behind the exchange's Traffic Server from its rendered configuration
  (tests/support/traffic_server.py, SNI routing by name, DNS from a loopback server).
- FATE Flow 2.2 and FATE 2.2 from PyPI (scripts/fateflow-venv.sh; FATE's container images cannot run here),
  each serving its party's rendered service_conf.yaml and Pulsar route table. Rewritten: listen addresses, ports
  and folders (broker, exchange, nginx -> loopback); the database (the party's MySQL -> FATE Flow's sqlite:
  no MySQL runs here); the computing and storage engines (Spark and HDFS -> standalone: neither runs here;
  FATE Flow 2.2 pairs standalone computing with Pulsar federation, fate_flow/engine/relation_ship.py).
  The federation engine (`pulsar`, mode replication, tenant, TTL, route table) and the coordination proxy
  (`proxy_name: nginx`) are the rendered ones. FATE's code is not patched.
- FATE Flow's coordination calls (HTTP with `dest-party-id`; every call, even to its own party, goes through
  the proxy: ofx's is_local is true only for party "0") cross three real nginx processes: the guest's, the
  exchange's and the host's, each from our nginx.conf and route table renderers given loopback endpoints,
  routed by our lua stand-in for FATE's (tests/support/nginx_lua.py: FATE's lua is not installable here).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.fateconf.nginx import nginx_conf
from components.fateconf.routes import exchange_nginx_route_table_yaml, party_nginx_route_table_yaml
from components.fateconf.settings import Endpoint
from tests.support import nginx_lua
from tests.support.fateflow_server import FateFlowServer, require_fateflow
from tests.support.peers import require_peer
from tests.support.pulsar_peer import PulsarBroker, loopback_fate_conf, pulsar_home, start_all
from tests.support.pulumi_harness import render_federation
from tests.support.traffic_server import TrafficServer, exchange_routes, traffic_server_installed

PARTIES = {"party-a": 9999, "party-b": 10000}
GUEST, HOST = 9999, 10000
STANDALONE_CORES = 4
"""Standalone computing's cores per party (FATE Flow's resource manager; the toy asks for fewer)."""
ROUTE_TABLE = "pulsar_route_table.yaml"


def fateflow_conf(service_conf: dict[str, Any], nginx: Endpoint) -> dict[str, Any]:
    """The party's rendered service_conf.yaml (its Pulsar address already on loopback) as it applies outside
    Kubernetes: the engines nothing here runs (Spark, HDFS, MySQL) become FATE Flow's standalone ones; the
    coordination proxy is the party's nginx on loopback. Federation and everything else stay as rendered."""
    federation = {**service_conf["federation"],
                  "nginx": {**service_conf["federation"]["nginx"], "host": nginx.host,
                            "http_port": nginx.http_port, "grpc_port": nginx.grpc_port}}
    return {**service_conf,
            "default_engines": {**service_conf["default_engines"], "computing": "standalone",
                                "storage": "standalone"},
            "computing": {"standalone": {"cores": STANDALONE_CORES}},
            "database": {"engine": "sqlite", "decrypt_key": None, "sqlite": {"path": None}},
            "model_store": {**service_conf["model_store"], "file": {"path": None}},  # the home's model folder
            "federation": federation}


@dataclass
class FederatedParties:
    """The running federation: brokers and FATE Flows by party id, the exchange, the nginx proxies."""

    brokers: dict[int, PulsarBroker]
    flows: dict[int, FateFlowServer]
    exchange: TrafficServer
    proxies: dict[str, nginx_lua.FateProxy]
    domain: str

    def exchange_tunnels(self) -> int:
        """Tunnels the exchange's Traffic Server opened so far (its own counter)."""
        out = subprocess.run(["traffic_ctl", "metric", "get", "proxy.process.http.tunnels"], env=self.exchange.env,
                             capture_output=True, text=True, timeout=30)
        match = re.search(r"proxy\.process\.http\.tunnels (\d+)", out.stdout)
        assert match, f"no tunnel counter from traffic_ctl: {out.stdout} {out.stderr}"
        return int(match.group(1))

    def replicated_through_exchange(self, party: int, peer: int, marker: str) -> list[str]:
        """The broker log lines of `party` showing a replicator to `peer` for topics whose name holds `marker`
        (a job id), and the connection through the exchange to the peer's federation name."""
        log = self.brokers[party].log_path.read_text(errors="replace")
        created = [line for line in log.splitlines()
                   if marker in line and f"[standalone -> {peer}] Created replicator producer" in line]
        port = self.exchange.listen_port
        tunnels = [line for line in log.splitlines() if f"127.0.0.1/127.0.0.1:{port}] Connected through proxy to "
                   f"target broker at {peer}.{self.domain}:" in line]
        return created + tunnels if created and tunnels else []


def _ports() -> tuple[int, int]:
    return nginx_lua.free_port(), nginx_lua.free_port()


@contextmanager
def federated_parties() -> Iterator[FederatedParties]:
    """Render the federation, start brokers, exchange, nginx proxies and FATE Flows; stop all afterwards."""
    require_peer("Pulsar broker (env FATE_FEDERATION_PULSAR_HOME)", pulsar_home() is not None,
                 "run `make test` (it resolves the broker with scripts/install-pulsar.sh)")
    require_peer("Traffic Server", traffic_server_installed(), "run `make test` (it installs Debian's trafficserver)")
    require_peer("nginx with the lua module", nginx_lua.available(), "run `bash scripts/install-nginx-lua.sh`")
    venv = require_fateflow()
    root = Path(tempfile.mkdtemp(prefix="fate-federated-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)
        rendered = render_federation()
        exchange_run = rendered["exchange"].run
        domain = exchange_run.outputs["domain"]
        brokers, flows, service_confs, route_tables = {}, {}, {}, {}
        for name, party in PARTIES.items():
            run = rendered[name].run
            brokers[party] = PulsarBroker(root / name / "pulsar", party,
                                          run.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"],
                                          run.k8s_object("Secret", "pulsar-cert")["stringData"])
            stack.callback(brokers[party].stop)
            service_confs[party] = yaml.safe_load(
                run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"])
            route_tables[party] = yaml.safe_load(
                run.k8s_object("ConfigMap", "pulsar-route-table")["data"][ROUTE_TABLE])
            (root / name / "fateflow").mkdir(parents=True)
            flows[party] = FateFlowServer(venv, root / name / "fateflow", python_paths=[pulsar_home() / "python"])
            stack.callback(flows[party].stop)
        exchange = TrafficServer(root / "exchange",
                                 config_files=exchange_run.k8s_object("ConfigMap", "traffic-server-config")["data"],
                                 routes=exchange_routes(exchange_run),
                                 cert_files=exchange_run.k8s_object("Secret", "traffic-server-cert")["stringData"],
                                 backends={f"{p}.{domain}": b.ports.broker_tls for p, b in brokers.items()})
        stack.callback(exchange.stop)
        proxies = _nginx_chain(root, flows)
        for proxy in proxies.values():
            stack.callback(proxy.stop)
        for party, flow in flows.items():
            service_conf, routes = loopback_fate_conf(service_confs[party], route_tables[party], brokers[party],
                                                      exchange.listen_port)
            nginx = Endpoint("127.0.0.1", proxies[str(party)].http_port, proxies[str(party)].grpc_port)
            flow.configure(fateflow_conf(service_conf, nginx), {ROUTE_TABLE: yaml.safe_dump(routes)})
        exchange.start()
        start_all(list(brokers.values()))
        for proxy in proxies.values():
            proxy.start()
        for flow in flows.values():
            flow.start()
        yield FederatedParties(brokers=brokers, flows=flows, exchange=exchange, proxies=proxies, domain=domain)


def _nginx_chain(root: Path, flows: dict[int, FateFlowServer]) -> dict[str, nginx_lua.FateProxy]:
    """The guest's, the exchange's and the host's nginx, from our renderers with loopback endpoints: a party's
    table sends its own party to its FATE Flow and every other party to the exchange (`default`); the
    exchange's sends each party to that party's nginx."""
    ports = {key: _ports() for key in (*map(str, flows), "exchange")}
    endpoint = {key: Endpoint("127.0.0.1", *pair) for key, pair in ports.items()}
    proxies = {}
    for party, flow in flows.items():
        fateflow = Endpoint("127.0.0.1", flow.http_port, flow.grpc_port)
        table = party_nginx_route_table_yaml(party, nginx=endpoint[str(party)], fateflow=fateflow,
                                             exchange=endpoint["exchange"])
        proxies[str(party)] = nginx_lua.FateProxy(root / f"nginx-{party}", nginx_conf=nginx_conf(fateflow),
                                                  route_table=table, backends={}, grpc_backends={},
                                                  ports=ports[str(party)])
    table = exchange_nginx_route_table_yaml(endpoint["exchange"], {p: endpoint[str(p)] for p in flows})
    proxies["exchange"] = nginx_lua.FateProxy(root / "nginx-exchange", nginx_conf=nginx_conf(None), route_table=table,
                                              backends={}, grpc_backends={}, ports=ports["exchange"])
    for proxy in proxies.values():
        checked = proxy.check()
        assert checked.returncode == 0, checked.stderr
    return proxies


def wait_for_end(flow: FateFlowServer, job_id: str, timeout: float) -> str:
    """This party's status of the job once it ended (success, failed, canceled, timeout)."""
    deadline = time.monotonic() + timeout
    statuses: set[str] = set()
    while time.monotonic() < deadline:
        statuses = flow.job_statuses(job_id)
        if statuses and not statuses & {"waiting", "ready", "running"}:
            assert len(statuses) == 1, statuses
            return statuses.pop()
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {sorted(statuses)} at {flow.url} after {timeout} s")
