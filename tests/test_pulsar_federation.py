"""The federation's data path on REAL parts: Pulsar 2.10.2 brokers (one per party) started from each party's
RENDERED standalone.conf and certificates, behind the REAL Traffic Server started from the exchange's RENDERED
configuration through its own entry script, driven by Pulsar's own replication and by FATE 2.2's own Pulsar
federation code.

The only doubles are the Pulumi engine and the Kubernetes API (the offline render, fedctl.mocks); the files
they render are used as they are, with listen addresses, ports and data folders moved to loopback
(tests/support/pulsar_peer.py, tests/support/traffic_server.py). Brokers start once per module.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.fate_pulsar_party import RESULT
from tests.support.fateflow_server import require_fateflow
from tests.support.peers import require_peer
from tests.support.pulsar_peer import (
    Federation,
    PulsarBroker,
    import_pulsar_client,
    loopback_fate_conf,
    messages,
    party_certificate,
    peer_cluster,
    pulsar_home,
    replicate_namespace,
    replicated_namespace,
    replication_stats,
    start_all,
)
from tests.support.pulumi_harness import PROJECT_DIR, render_federation, run_program, shipped_config, stack_ref
from tests.support.tls_backends import TlsEchoBackend, round_trip, tls_client
from tests.support.traffic_server import ExchangeRoutes, TrafficServer, exchange_routes, traffic_server_installed

DOMAIN = "fate.example.org"
STACKS = {"party-a": 9999, "party-b": 10000, "party-c": 10001}
TENANT = "fl-tenant"
FATE_PARTY_SCRIPT = Path(__file__).parent / "support" / "fate_pulsar_party.py"


def three_party_project(folder: Path) -> Path:
    """The project with a third party stack (party-c, 10001, made from party-b's file) and an exchange
    listing all three: the operator's re-render when a party joins."""
    folder.mkdir(parents=True)
    for entry in PROJECT_DIR.iterdir():
        if not entry.name.startswith(("Pulumi.", ".")) or entry.name == "Pulumi.yaml":
            (folder / entry.name).symlink_to(entry)
    for stack in ("party-a", "party-b"):
        (folder / f"Pulumi.{stack}.yaml").symlink_to(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    party_c = yaml.safe_load((PROJECT_DIR / "Pulumi.party-b.yaml").read_text())
    party = party_c["config"]["fate-federation:party"]
    party.update(partyId=STACKS["party-c"], namespace="fate-10001")
    party["exposure"]["nodeAddress"] = "203.0.113.21"
    party_c["config"]["fate-federation:kubernetes"]["context"] = "party-c"
    (folder / "Pulumi.party-c.yaml").write_text(yaml.safe_dump(party_c))
    exchange = yaml.safe_load((PROJECT_DIR / "Pulumi.exchange.yaml").read_text())
    exchange["config"]["fate-federation:exchange"]["parties"] = [
        {"stack": stack_ref(stack)} for stack in STACKS]
    (folder / "Pulumi.exchange.yaml").write_text(yaml.safe_dump(exchange))
    return folder


def exchange_sni(project: Path, rendered: dict[str, Any], stacks: list[str]) -> ExchangeRoutes:
    """The routes (sni.yaml, party Services) of the exchange re-rendered with only `stacks` listed."""
    config = shipped_config("exchange", project)
    config["fate-federation:exchange"]["parties"] = [{"stack": stack_ref(s)} for s in stacks]
    run = run_program("exchange", config, stack_outputs={stack_ref(s): rendered[s].run.outputs for s in stacks},
                      project_dir=project)
    return exchange_routes(run)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_peer("Pulsar broker (env FATE_FEDERATION_PULSAR_HOME)", pulsar_home() is not None,
                 "run `make test` (it resolves the broker with scripts/install-pulsar.sh)")
    require_peer("Traffic Server", traffic_server_installed(), "run `make test` (it installs Debian's trafficserver)")
    root = tmp_path_factory.mktemp("pulsar-federation")
    project = three_party_project(root / "project")
    rendered = render_federation(project_dir=project)
    exchange = rendered["exchange"].run
    brokers = {}
    for stack, party_id in STACKS.items():
        run = rendered[stack].run
        brokers[party_id] = PulsarBroker(root / stack, party_id,
                                         run.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"],
                                         run.k8s_object("Secret", "pulsar-cert")["stringData"])
    sni = {"ab": exchange_sni(project, rendered, ["party-a", "party-b"]),
           "abc": exchange_routes(exchange),
           "a": exchange_sni(project, rendered, ["party-a"])}
    server = TrafficServer(root / "exchange", config_files=exchange.k8s_object("ConfigMap", "traffic-server-config")["data"],
                           routes=sni["ab"], cert_files=exchange.k8s_object("Secret", "traffic-server-cert")["stringData"],
                           backends={f"{pid}.{DOMAIN}": b.ports.broker_tls for pid, b in brokers.items()})
    federation = Federation(brokers=brokers, exchange=server, ca_pem=exchange.outputs["caCertPem"], domain=DOMAIN)
    try:
        server.start()
        start_all([brokers[9999], brokers[10000]])  # party-c joins later (test_third_party_joins...)
        yield {"federation": federation, "rendered": rendered, "sni": sni, "project": project, "root": root}
    finally:
        for broker in brokers.values():
            broker.stop()
        server.close()


@pytest.fixture(scope="module")
def pulsar() -> Any:
    return import_pulsar_client()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout} s")


def send(pulsar: Any, broker: PulsarBroker, topic: str, bodies: list[bytes]) -> None:
    client = pulsar.Client(broker.service_url, operation_timeout_seconds=30)
    try:
        producer = client.create_producer(topic)
        for body in bodies:
            producer.send(body)
    finally:
        client.close()


def receive(pulsar: Any, broker: PulsarBroker, topic: str, count: int, timeout: float = 90.0) -> list[bytes]:
    client = pulsar.Client(broker.service_url, operation_timeout_seconds=30)
    try:
        consumer = client.subscribe(topic, "test", initial_position=pulsar.InitialPosition.Earliest)
        return list(messages(consumer, count, timeout))
    finally:
        client.close()


def subscribe(pulsar: Any, broker: PulsarBroker, topic: str) -> None:
    """A durable subscription, so messages that arrive while nobody listens are kept for it."""
    client = pulsar.Client(broker.service_url, operation_timeout_seconds=30)
    try:
        client.subscribe(topic, "test", initial_position=pulsar.InitialPosition.Earliest).close()
    finally:
        client.close()


def test_topic_replicates_both_ways_through_the_exchange(setup: dict[str, Any], pulsar: Any) -> None:
    """9999 -> 10000 and back, each replicator connected to the exchange (not to the peer) by SNI, the
    peer's certificate verified against the federation CA (tlsAllowInsecureConnection=false)."""
    federation: Federation = setup["federation"]
    a, b = federation.brokers[9999], federation.brokers[10000]
    namespace = unique("two-way")
    replicate_namespace(federation, namespace, [9999, 10000])
    topic = f"persistent://{TENANT}/{namespace}/data"
    send(pulsar, a, topic, [b"from 9999"])
    assert receive(pulsar, b, topic, 1) == [b"from 9999"]
    send(pulsar, b, topic, [b"from 10000"])
    assert b"from 10000" in receive(pulsar, a, topic, 2)

    exchange_port = federation.exchange.listen_port
    for broker, peer in ((a, "10000"), (b, "9999")):
        link = replication_stats(broker, f"{TENANT}/{namespace}/data")[peer]
        assert link["connected"] is True
        assert f"127.0.0.1:{exchange_port}]" in link["outboundConnection"]  # through the exchange's port
    # What a lookup tells a peer: TLS -> the party's federation name (its only exchange route).
    status, body = a.admin("GET", f"/lookup/v2/topic/persistent/{TENANT}/{namespace}/data")
    assert status == 200
    assert json.loads(body)["brokerUrlTls"] == f"pulsar+ssl://9999.{DOMAIN}:{a.ports.broker_tls}"


def rendered_party_files(setup: dict[str, Any], stack: str, broker: PulsarBroker, folder: Path) -> tuple[Path, Path]:
    """The party's rendered service_conf.yaml and Pulsar route table, with the broker's and the exchange's
    addresses moved to loopback (nothing else changed)."""
    run = setup["rendered"][stack].run
    service_conf, routes = loopback_fate_conf(
        yaml.safe_load(run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"]),
        yaml.safe_load(run.k8s_object("ConfigMap", "pulsar-route-table")["data"]["pulsar_route_table.yaml"]),
        broker, setup["federation"].exchange.listen_port)
    assert routes["default"]["domain"] == DOMAIN
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service_conf.yaml").write_text(yaml.safe_dump(service_conf))
    (folder / "pulsar_route_table.yaml").write_text(yaml.safe_dump(routes))
    return folder / "service_conf.yaml", folder / "pulsar_route_table.yaml"


def fate_party(venv: Path, spec: dict[str, Any]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(pulsar_home() / "python"), "HF_HOME": str(venv / "hf")}
    return subprocess.Popen([str(venv / "bin" / "python"), str(FATE_PARTY_SCRIPT), json.dumps(spec)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def fate_result(stdout: str) -> Any:
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT)]
    assert lines, f"no result from FATE's side:\n{stdout[-3000:]}"
    return json.loads(lines[-1][len(RESULT):])


def test_fate_pulsar_federation_sends_an_object_from_9999_to_10000(setup: dict[str, Any], tmp_path: Path) -> None:
    """FATE 2.2's own federation (FATE Flow's parser -> FATE's load_federation -> PulsarFederation) on both
    parties, configured from each party's rendered service_conf and Pulsar route table."""
    venv = require_fateflow()
    federation: Federation = setup["federation"]
    session = unique("fate-session")
    common = {"session": session, "name": "model_weights", "tag": "iteration_0"}
    host_conf, host_routes = rendered_party_files(setup, "party-b", federation.brokers[10000], tmp_path / "host")
    guest_conf, guest_routes = rendered_party_files(setup, "party-a", federation.brokers[9999], tmp_path / "guest")
    puller = fate_party(venv, {**common, "service_conf": str(host_conf), "route_table": str(host_routes),
                               "local": ["host", 10000], "peer": ["guest", 9999], "action": "pull"})
    try:
        # The host's FATE creates its side of the replicated namespace before the guest sends.
        wait_until(lambda: f"{TENANT}/{session}" in federation.brokers[10000].admin(
            "GET", f"/admin/v2/namespaces/{TENANT}")[1], 120, "the host's namespace")
        pusher = fate_party(venv, {**common, "service_conf": str(guest_conf), "route_table": str(guest_routes),
                                   "local": ["guest", 9999], "peer": ["host", 10000], "action": "push",
                                   "value": "weights from party 9999"})
        out, err = pusher.communicate(timeout=180)
        assert pusher.returncode == 0, err[-3000:]
        assert fate_result(out) == {"pushed": True}
        out, err = puller.communicate(timeout=180)
        assert puller.returncode == 0, err[-3000:]
        assert fate_result(out) == {"received": ["weights from party 9999"]}
    finally:
        puller.kill()
    # FATE wrote the peer cluster from the rendered route table's default: the peer's federation name,
    # reached through the exchange.
    status, body = federation.brokers[9999].admin("GET", "/admin/v2/clusters/10000")
    cluster = json.loads(body)
    assert cluster["brokerServiceUrlTls"] == f"pulsar+ssl://10000.{DOMAIN}:6651"
    assert cluster["proxyServiceUrl"] == federation.proxy_url and cluster["proxyProtocol"] == "SNI"


def test_unknown_party_name_is_refused_at_the_exchange(setup: dict[str, Any], pulsar: Any) -> None:
    federation: Federation = setup["federation"]
    with pytest.raises((ssl.SSLError, OSError)):
        with tls_client(federation.exchange.listen_port, f"12345.{DOMAIN}", federation.ca_pem) as conn:
            round_trip(conn, b"hello")
    # A broker told to replicate to that party never connects: the messages wait in its backlog.
    a = federation.brokers[9999]
    namespace = unique("unknown")
    assert a.admin("PUT", "/admin/v2/clusters/12345", peer_cluster(federation, 12345))[0] in (204, 409)
    replicated_namespace(a, TENANT, namespace, ["standalone", "12345"])
    topic = f"persistent://{TENANT}/{namespace}/data"
    send(pulsar, a, topic, [b"for nobody"])
    time.sleep(8)
    link = replication_stats(a, f"{TENANT}/{namespace}/data")["12345"]
    assert link["connected"] is False and link["replicationBacklog"] == 1


def replication_refused_by_impostor(setup: dict[str, Any], pulsar: Any, cert: str, key: str, reason: str) -> None:
    """The exchange routes party 10001's name to an impostor presenting `cert`: 9999's replicator reaches
    it, refuses it for `reason` (in the broker's log) and keeps the message in its backlog."""
    federation: Federation = setup["federation"]
    impostor = TlsEchoBackend("impostor", cert, key, federation.brokers[10001].ports.broker_tls)
    try:
        federation.exchange.update_routes(setup["sni"]["abc"])
        wait_until(lambda: _routed_to(impostor, federation, 10001), 30, "the route to 10001")
        a = federation.brokers[9999]
        seen, logged = impostor.connections, a.log_path.read_text(errors="replace").count(reason)
        namespace = unique("impostor")
        assert a.admin("PUT", "/admin/v2/clusters/10001", peer_cluster(federation, 10001))[0] in (204, 409)
        replicated_namespace(a, TENANT, namespace, ["standalone", "10001"])
        send(pulsar, a, f"persistent://{TENANT}/{namespace}/data", [b"secret"])
        wait_until(lambda: impostor.connections > seen, 30, "the replicator reaching the impostor")
        wait_until(lambda: a.log_path.read_text(errors="replace").count(reason) > logged, 30, f"'{reason}'")
        link = replication_stats(a, f"{TENANT}/{namespace}/data")["10001"]
        assert link["connected"] is False and link["replicationBacklog"] == 1
    finally:
        impostor.close()
        federation.exchange.update_routes(setup["sni"]["ab"])


def test_a_broker_with_a_certificate_from_another_ca_is_refused(setup: dict[str, Any], pulsar: Any) -> None:
    """A certificate for party 10001's very name, from another CA: the federation CA is the only trust."""
    cert, key = party_certificate(f"10001.{DOMAIN}")
    replication_refused_by_impostor(setup, pulsar, cert, key, "PKIX path building failed")


def test_an_expired_party_certificate_is_refused(setup: dict[str, Any], pulsar: Any) -> None:
    """A certificate for party 10001 from the federation CA itself, expired yesterday."""
    ca_key = next(r.outputs["privateKeyPem"] for r in setup["rendered"]["exchange"].run.resources
                  if r.typ == "tls:index/privateKey:PrivateKey" and r.name == "federation-ca-key")
    ca_key = ca_key["value"] if isinstance(ca_key, dict) else ca_key  # a secret output's envelope
    cert, key = party_certificate(f"10001.{DOMAIN}", ca_cert_pem=setup["federation"].ca_pem, ca_key_pem=ca_key,
                                  expired=True)
    replication_refused_by_impostor(setup, pulsar, cert, key, "CertificateExpiredException")


def _routed_to(backend: TlsEchoBackend, federation: Federation, party: int) -> bool:
    """A TLS connection for `<party>.<domain>` through the exchange reaches `backend` (whatever it presents;
    an unrouted name is answered by the exchange itself)."""
    before = backend.connections
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", federation.exchange.listen_port), timeout=2) as raw:
            with context.wrap_socket(raw, server_hostname=f"{party}.{DOMAIN}"):
                pass
    except (OSError, ssl.SSLError):
        pass
    time.sleep(0.2)
    return backend.connections > before


def _reaches(federation: Federation, party: int) -> bool:
    """A TLS handshake through the exchange for `<party>.<domain>` is answered by that party's broker (a
    certificate for that name from the federation CA; an unrouted name gets the exchange's own)."""
    context = ssl.create_default_context(cadata=federation.ca_pem)
    try:
        with socket.create_connection(("127.0.0.1", federation.exchange.listen_port), timeout=2) as raw:
            with context.wrap_socket(raw, server_hostname=f"{party}.{DOMAIN}"):
                return True
    except (OSError, ssl.SSLError):
        return False


def test_third_party_joins_by_rerender_and_reaches_both(setup: dict[str, Any], pulsar: Any) -> None:
    """Party 10001 starts, the exchange is re-rendered with it (route reloaded in place), and one topic
    replicated among three parties carries messages both ways: 9999's and 10000's replicators both
    produce on 10001's topic, which only works with per-party replicator names (FATE #4695)."""
    federation: Federation = setup["federation"]
    a, b, c = (federation.brokers[p] for p in (9999, 10000, 10001))
    pids = (a.process.pid, b.process.pid, federation.exchange.server_pid())
    c.start()
    federation.exchange.update_routes(setup["sni"]["abc"], {f"10001.{DOMAIN}": c.ports.broker_tls})
    wait_until(lambda: _reaches(federation, 10001), 30, "the route to 10001")
    namespace = unique("three")
    replicate_namespace(federation, namespace, [9999, 10000, 10001])
    topic = f"persistent://{TENANT}/{namespace}/data"
    subscribe(pulsar, c, topic)
    subscribe(pulsar, a, topic)
    subscribe(pulsar, b, topic)
    send(pulsar, a, topic, [b"a"])
    send(pulsar, b, topic, [b"b"])
    send(pulsar, c, topic, [b"c"])
    assert sorted(receive(pulsar, c, topic, 3)) == [b"a", b"b", b"c"]
    assert sorted(receive(pulsar, a, topic, 3)) == [b"a", b"b", b"c"]
    assert sorted(receive(pulsar, b, topic, 3)) == [b"a", b"b", b"c"]
    assert (a.process.pid, b.process.pid, federation.exchange.server_pid()) == pids  # nothing restarted


def test_broker_restarted_mid_replication_loses_no_message(setup: dict[str, Any], pulsar: Any) -> None:
    """10000's broker is killed (SIGKILL) while 9999 sends: after it restarts, replication resumes and every
    message arrives. Geo-replication is at-least-once: a message the dead broker stored but did not
    acknowledge is sent again, so a duplicate may arrive (seen here); none is lost."""
    federation: Federation = setup["federation"]
    a, b = federation.brokers[9999], federation.brokers[10000]
    namespace = unique("restart")
    replicate_namespace(federation, namespace, [9999, 10000])
    topic = f"persistent://{TENANT}/{namespace}/data"
    subscribe(pulsar, b, topic)
    bodies = [f"m{i}".encode() for i in range(40)]
    send(pulsar, a, topic, bodies[:20])
    b.stop(kill=True)
    send(pulsar, a, topic, bodies[20:])
    b.start()
    received = receive_all(pulsar, b, topic, set(bodies), timeout=120)
    assert set(received) == set(bodies)
    assert len(received) - len(bodies) <= 5  # a few re-sent, not a replay of the topic


def receive_all(pulsar: Any, broker: PulsarBroker, topic: str, wanted: set[bytes], timeout: float) -> list[bytes]:
    """Messages until every body in `wanted` was seen (duplicates kept) or `timeout` passed."""
    client = pulsar.Client(broker.service_url, operation_timeout_seconds=30)
    received: list[bytes] = []
    try:
        consumer = client.subscribe(topic, "test", initial_position=pulsar.InitialPosition.Earliest)
        deadline = time.monotonic() + timeout
        while not wanted <= set(received) and time.monotonic() < deadline:
            received += messages(consumer, 1, deadline - time.monotonic())
        # Whatever else is already there (late duplicates) within a short grace period.
        received += messages(consumer, 100, 3)
        return received
    finally:
        client.close()


def test_exchange_restarted_tunnels_reconnect(setup: dict[str, Any], pulsar: Any) -> None:
    federation: Federation = setup["federation"]
    a, b = federation.brokers[9999], federation.brokers[10000]
    namespace = unique("exchange-restart")
    replicate_namespace(federation, namespace, [9999, 10000])
    topic = f"persistent://{TENANT}/{namespace}/data"
    subscribe(pulsar, b, topic)
    send(pulsar, a, topic, [b"before"])
    assert receive(pulsar, b, topic, 1) == [b"before"]
    federation.exchange.stop()
    send(pulsar, a, topic, [b"while down"])
    federation.exchange.start()
    send(pulsar, a, topic, [b"after"])
    assert sorted(receive(pulsar, b, topic, 2, timeout=120)) == [b"after", b"while down"]


def test_party_removed_from_the_route_table_is_refused(setup: dict[str, Any]) -> None:
    """The exchange re-rendered without party 10000: a new tunnel to it is refused at the exchange (tunnels
    already open stay open until they close: Traffic Server's reload does not cut them)."""
    federation: Federation = setup["federation"]
    wait_until(lambda: _reaches(federation, 10000), 30, "the route to 10000")
    try:
        federation.exchange.update_routes(setup["sni"]["a"])
        wait_until(lambda: not _reaches(federation, 10000), 30, "the route removal")
        with pytest.raises((ssl.SSLError, OSError)):
            with tls_client(federation.exchange.listen_port, f"10000.{DOMAIN}", federation.ca_pem) as conn:
                round_trip(conn, b"hello")
        assert _reaches(federation, 9999)
    finally:
        federation.exchange.update_routes(setup["sni"]["ab"])
        wait_until(lambda: _reaches(federation, 10000), 30, "the route restored")
