"""The exchange's rendered configuration in a REAL Apache Traffic Server (Debian's trafficserver).

The program is run under the engine mocks (the only doubles: Pulumi engine and Kubernetes API); the
files, certificates and the entry script that the exchange pod would run are then used as they are,
with only the listen and backend addresses moved to loopback. Cluster DNS, which answers for the party
Services the exchange stack renders, is a real DNS server on loopback (tests.support.loopback_dns)
answering from those rendered Services. Backends stand for party brokers and present the certificates
the federation's stacks produced.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.fateconf import ats
from tests.support.peers import require_peer
from tests.support.pulumi_harness import run_program, shipped_config
from tests.support.tls_backends import TlsEchoBackend, round_trip, tls_client
from tests.support.traffic_server import (
    ExchangeRoutes,
    TrafficServer,
    exchange_routes,
    free_port,
    traffic_server_installed,
)

PARTY_A_REF = "organization/fate-federation/party-a"
PARTY_B_REF = "organization/fate-federation/party-b"
DOMAIN = "fate.example.org"
PARTY_B = f"10000.{DOMAIN}"


@pytest.fixture
def federation(rendered_federation: dict[str, Any]) -> dict[str, Any]:
    require_peer("Traffic Server", traffic_server_installed(), "run `make test` (it installs Debian's trafficserver)")
    return rendered_federation


def exchange_files(run: Any) -> tuple[dict[str, str], ExchangeRoutes, dict[str, str]]:
    """The ATS files exactly as the exchange's ConfigMaps and Secret hold them, and its party Services."""
    config = run.k8s_object("ConfigMap", "traffic-server-config")["data"]
    certs = run.k8s_object("Secret", "traffic-server-cert")["stringData"]
    return config, exchange_routes(run), certs


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
    config, routes, certs = exchange_files(run)
    server = TrafficServer(tmp_path / "ats", config_files=config, routes=routes, cert_files=certs,
                           backends={f"{pid}.{DOMAIN}": b.port for pid, b in backends.items()})
    server.start()
    return server


def live(server: TrafficServer, name: str, ca: str) -> bool:
    """A new connection asking for `name` reaches a backend and round-trips."""
    try:
        with tls_client(server.listen_port, name, ca, timeout=2) as conn:
            return bool(round_trip(conn, b"ping"))
    except (OSError, ssl.SSLError):
        return False


def wait_until_live(server: TrafficServer, name: str, ca: str, want: bool, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live(server, name, ca) == want:
            return
        time.sleep(0.05)
    state = "live" if want else "refused"
    raise AssertionError(f"route to {name} not {state} after {timeout} s:\n{server.logs()}")


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
        server.close()


def test_unknown_party_name_is_refused(tmp_path: Path, federation: dict[str, Any],
                                       backends: dict[int, TlsEchoBackend]) -> None:
    ca = federation["exchange"].run.outputs["caCertPem"]
    server = start(tmp_path, federation["exchange"].run, backends)
    try:
        before = sum(b.connections for b in backends.values())
        # A party id of no party; names the rule must not match: another label, an extra label (a path to
        # another namespace's Service), a suffix, a port smuggled into the name, the proxy's own name.
        for name in (f"12345.{DOMAIN}", f"x.{DOMAIN}", f"kube-dns.kube-system.{DOMAIN}", f"1.9999.{DOMAIN}",
                     f"9999.{DOMAIN}.evil.example", f"9999:22.{DOMAIN}", f"proxy.{DOMAIN}"):
            with pytest.raises((ssl.SSLError, OSError)):
                with tls_client(server.listen_port, name, ca) as conn:
                    round_trip(conn, b"hello")
        assert sum(b.connections for b in backends.values()) == before  # no party was reached
        # Traffic Server only ever asked for party Services of the exchange namespace (12345's, not there).
        asked = {name for _, name in server.dns.queries}
        assert asked and all(re.fullmatch(r"(_tunnel\._tcp\.)?party-12345\.fate-exchange\.svc\.cluster\.local", n)
                             for n in asked), asked
    finally:
        server.close()


def test_party_added_and_removed_within_a_second_without_reload(
        tmp_path: Path, federation: dict[str, Any], backends: dict[int, TlsEchoBackend]) -> None:
    """Add party-b to the exchange config, re-render: its Service makes it live within 1 s, with no reload
    and no restart; remove it again: new connections are refused within 2 s (1 s DNS answer lifetime plus
    slack for a busy machine; the benchmark has the figures), while tunnels opened before either change
    keep carrying data."""
    ca = federation["exchange"].run.outputs["caCertPem"]
    party_a = federation["party-a"].run.outputs
    only_a = exchange_with({PARTY_A_REF: party_a})
    both = exchange_routes(exchange_with({PARTY_A_REF: party_a, PARTY_B_REF: federation["party-b"].run.outputs}))
    assert both.sni_yaml == exchange_routes(only_a).sni_yaml  # the route list itself never changes
    server = start(tmp_path, only_a, backends)
    try:
        pid = server.server_pid()
        assert not live(server, PARTY_B, ca)
        tunnel_a = tls_client(server.listen_port, f"9999.{DOMAIN}", ca)
        assert round_trip(tunnel_a, b"before") == b"9999:before"

        server.update_routes(both)
        wait_until_live(server, PARTY_B, ca, want=True, timeout=1.0)
        tunnel_b = tls_client(server.listen_port, PARTY_B, ca)
        assert round_trip(tunnel_b, b"joined") == b"10000:joined"

        server.update_routes(exchange_routes(only_a))
        wait_until_live(server, PARTY_B, ca, want=False, timeout=2.0)

        assert round_trip(tunnel_a, b"after") == b"9999:after"
        assert round_trip(tunnel_b, b"still") == b"10000:still"  # removing a party cuts no open tunnel
        tunnel_a.close()
        tunnel_b.close()
        assert server.server_pid() == pid
        assert "routes reloaded" not in (server.root / "entry.log").read_text()
    finally:
        server.close()


def test_party_with_its_own_route_is_reloaded_in_place(tmp_path: Path, federation: dict[str, Any],
                                                       backends: dict[int, TlsEchoBackend]) -> None:
    """A party the rule cannot reach through a Service (a host name and a port of its own: an ExternalName
    carries no port) keeps a tunnel_route in sni.yaml; adding it reloads sni.yaml in place (traffic_ctl
    under traffic_manager, about 5 s): the server keeps its PID and an open tunnel keeps working."""
    ca = federation["exchange"].run.outputs["caCertPem"]
    only_a = exchange_with({PARTY_A_REF: federation["party-a"].run.outputs})
    server = start(tmp_path, only_a, backends)
    try:
        pid = server.server_pid()
        open_tunnel = tls_client(server.listen_port, f"9999.{DOMAIN}", ca)
        assert round_trip(open_tunnel, b"before") == b"9999:before"
        rule = ats.PartyRule(DOMAIN, "fate-exchange", "cluster.local")
        own_route = ats.SniRoute(PARTY_B, "broker.party-b.example.net", 31500)
        assert ats.party_services([own_route], DOMAIN) == ([], [own_route])
        server.update_routes(ExchangeRoutes(ats.sni_yaml([own_route], rule), exchange_routes(only_a).parties))
        wait_until_live(server, PARTY_B, ca, want=True, timeout=30.0)
        assert server.server_pid() == pid
        assert round_trip(open_tunnel, b"after") == b"9999:after"
        open_tunnel.close()
        assert "routes reloaded" in (server.root / "entry.log").read_text()
    finally:
        server.close()
