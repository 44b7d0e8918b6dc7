"""The exchange's rendered configuration in a REAL Apache Traffic Server (Debian's trafficserver).

The program is run under the engine mocks (the only doubles: Pulumi engine and Kubernetes API); the
files, certificates and the entry script that the exchange pod would run are then used as they are,
with only the listen and backend addresses moved to loopback. Backends stand for party brokers and
present the certificates the federation's stacks produced.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.peers import require_peer
from tests.support.pulumi_harness import run_program, shipped_config
from tests.support.tls_backends import TlsEchoBackend, round_trip, tls_client
from tests.support.traffic_server import TrafficServer, free_port, traffic_server_installed

PARTY_A_REF = "organization/fate-federation/party-a"
PARTY_B_REF = "organization/fate-federation/party-b"
DOMAIN = "fate.example.org"


@pytest.fixture
def federation(rendered_federation: dict[str, Any]) -> dict[str, Any]:
    require_peer("Traffic Server", traffic_server_installed(), "run `make test` (it installs Debian's trafficserver)")
    return rendered_federation


def exchange_files(run: Any) -> tuple[dict[str, str], str, dict[str, str]]:
    """The ATS files exactly as the exchange's ConfigMaps and Secret hold them."""
    config = run.k8s_object("ConfigMap", "traffic-server-config")["data"]
    sni = run.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"]
    certs = run.k8s_object("Secret", "traffic-server-cert")["stringData"]
    return config, sni, certs


def party_backend(federation: dict[str, Any], stack: str, party_id: int) -> TlsEchoBackend:
    secret = federation[stack].run.k8s_object("Secret", "pulsar-cert")["stringData"]
    return TlsEchoBackend(str(party_id), secret["broker.cert.pem"], secret["broker.key-pk8.pem"], free_port())


@pytest.fixture
def backends(federation: dict[str, Any]) -> Iterator[dict[int, TlsEchoBackend]]:
    started = {9999: party_backend(federation, "party-a", 9999), 10000: party_backend(federation, "party-b", 10000)}
    yield started
    for backend in started.values():
        backend.close()


def exchange_with(parties: dict[str, Any]) -> Any:
    """Re-render the exchange with these party stacks listed (the operator's config change)."""
    config = shipped_config("exchange")
    config["fate-federation:exchange"]["parties"] = [{"stack": ref} for ref in parties]
    return run_program("exchange", config, stack_outputs=parties)


def start(tmp_path: Path, run: Any, backends: dict[int, TlsEchoBackend]) -> TrafficServer:
    config, sni, certs = exchange_files(run)
    server = TrafficServer(tmp_path / "ats", config_files=config, sni_yaml=sni, cert_files=certs,
                           backends={f"{pid}.{DOMAIN}": b.port for pid, b in backends.items()})
    server.start()
    return server


def wait_for_route(server: TrafficServer, name: str, ca: str, timeout: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with tls_client(server.listen_port, name, ca, timeout=2) as conn:
                if round_trip(conn, b"ping"):
                    return time.monotonic() - started
        except (OSError, ssl.SSLError):
            time.sleep(0.2)
    raise AssertionError(f"route to {name} not live after {timeout} s:\n{server.logs()}")


def test_party_name_reaches_that_party_with_its_certificate(tmp_path: Path, federation: dict[str, Any],
                                                            backends: dict[int, TlsEchoBackend]) -> None:
    ca = federation["exchange"].run.outputs["caCertPem"]
    server = start(tmp_path, federation["exchange"].run, backends)
    try:
        for party_id in (9999, 10000):
            with tls_client(server.listen_port, f"{party_id}.{DOMAIN}", ca) as conn:
                # The handshake verified the party's own certificate against the federation CA: a blind tunnel.
                subject = dict(item[0] for item in conn.getpeercert()["subject"])
                assert subject["commonName"] == f"{party_id}.{DOMAIN}"
                assert round_trip(conn, b"hello") == f"{party_id}:hello".encode()
    finally:
        server.stop()


def test_unknown_party_name_is_refused(tmp_path: Path, federation: dict[str, Any],
                                       backends: dict[int, TlsEchoBackend]) -> None:
    ca = federation["exchange"].run.outputs["caCertPem"]
    server = start(tmp_path, federation["exchange"].run, backends)
    try:
        before = sum(b.connections for b in backends.values())
        with pytest.raises((ssl.SSLError, OSError)):
            with tls_client(server.listen_port, f"12345.{DOMAIN}", ca) as conn:
                round_trip(conn, b"hello")
        assert sum(b.connections for b in backends.values()) == before  # no party was reached
    finally:
        server.stop()


def test_added_party_goes_live_without_restart(tmp_path: Path, federation: dict[str, Any],
                                               backends: dict[int, TlsEchoBackend]) -> None:
    """Add party-b to the exchange config, re-render: the new route is live, the server was not restarted
    and a tunnel opened before the change keeps working."""
    ca = federation["exchange"].run.outputs["caCertPem"]
    party_a = federation["party-a"].run.outputs
    party_b = federation["party-b"].run.outputs
    before = exchange_with({PARTY_A_REF: party_a})
    server = start(tmp_path, before, backends)
    try:
        pid = server.server_pid()
        with pytest.raises((ssl.SSLError, OSError)):
            with tls_client(server.listen_port, f"10000.{DOMAIN}", ca) as conn:
                round_trip(conn, b"x")
        open_tunnel = tls_client(server.listen_port, f"9999.{DOMAIN}", ca)
        assert round_trip(open_tunnel, b"before") == b"9999:before"

        after = exchange_with({PARTY_A_REF: party_a, PARTY_B_REF: party_b})
        _, sni, _ = exchange_files(after)
        assert "10000.fate.example.org" in sni
        server.update_routes(sni)
        wait_for_route(server, f"10000.{DOMAIN}", ca)

        assert server.server_pid() == pid
        assert round_trip(open_tunnel, b"after") == b"9999:after"
        open_tunnel.close()
        assert "routes reloaded" in (server.root / "entry.log").read_text()
    finally:
        server.stop()
