"""Time from a route change to the route being live on a REAL Traffic Server, and per-connection overhead.

The exchange is rendered (engine mocks) with party-a only, started in Debian's Traffic Server through the
exchange's own entry script, then party-b's route is added and removed again by swapping the mounted
ConfigMap directory the way kubelet does. Needs `traffic_server` (scripts/install-traffic-server.sh).
Usage: .venv/bin/python benchmarks/bench_traffic_server_reload.py [--cycles N]
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.support.pulumi_harness import render_federation, run_stack, shipped_config  # noqa: E402
from tests.support.tls_backends import TlsEchoBackend, round_trip, tls_client  # noqa: E402
from tests.support.traffic_server import TrafficServer, free_port  # noqa: E402

DOMAIN = "fate.example.org"
REFS = {"party-a": "organization/fate-federation/party-a", "party-b": "organization/fate-federation/party-b"}


def exchange_with(parties: dict) -> object:
    config = shipped_config("exchange")
    config["fate-federation:exchange"]["parties"] = [{"stack": ref} for ref in parties]
    return run_stack("exchange", config, stack_outputs=parties)


def files(run: object) -> tuple[dict, str, dict]:
    return (run.k8s_object("ConfigMap", "traffic-server-config")["data"],  # type: ignore[attr-defined]
            run.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"],  # type: ignore[attr-defined]
            run.k8s_object("Secret", "traffic-server-cert")["stringData"])  # type: ignore[attr-defined]


def live(port: int, name: str, ca: str) -> bool:
    try:
        with tls_client(port, name, ca, timeout=2) as conn:
            return bool(round_trip(conn, b"ping"))
    except (OSError, ssl.SSLError):
        return False


def wait(predicate, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"not reached within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    federation = render_federation(["exchange", "party-a", "party-b"])
    ca = federation["exchange"].run.outputs["caCertPem"]
    outputs = {stack: federation[stack].run.outputs for stack in REFS}
    backends = {}
    for stack, party_id in (("party-a", 9999), ("party-b", 10000)):
        secret = federation[stack].run.k8s_object("Secret", "pulsar-cert")["stringData"]
        backends[party_id] = TlsEchoBackend(str(party_id), secret["broker.cert.pem"], secret["broker.key-pk8.pem"],
                                            free_port())
    only_a = files(exchange_with({REFS["party-a"]: outputs["party-a"]}))
    both = files(exchange_with({REFS[s]: outputs[s] for s in REFS}))
    server = TrafficServer(Path(tempfile.mkdtemp(prefix="ats-bench-")), config_files=only_a[0], sni_yaml=only_a[1],
                           cert_files=only_a[2],
                           backends={f"{pid}.{DOMAIN}": b.port for pid, b in backends.items()})
    server.start()
    try:
        added, removed = [], []
        for _ in range(args.cycles):
            server.update_routes(both[1])
            added.append(wait(lambda: live(server.listen_port, f"10000.{DOMAIN}", ca)))
            server.update_routes(only_a[1])
            removed.append(wait(lambda: not live(server.listen_port, f"10000.{DOMAIN}", ca)))
        direct, proxied = [], []
        for _ in range(100):
            for port, times in ((backends[9999].port, direct), (server.listen_port, proxied)):
                started = time.perf_counter()
                with tls_client(port, f"9999.{DOMAIN}", ca) as conn:
                    round_trip(conn, b"x")
                times.append(time.perf_counter() - started)
        print("Traffic Server (Debian trafficserver) under traffic_manager, routes swapped like kubelet swaps a "
              "ConfigMap, reload by the exchange's entry script (poll 1 s + traffic_ctl config reload):")
        print(f"  route added -> live:     median {statistics.median(added):.2f} s, max {max(added):.2f} s "
              f"(n={len(added)})")
        print(f"  route removed -> refused: median {statistics.median(removed):.2f} s, max {max(removed):.2f} s "
              f"(n={len(removed)})")
        print(f"  new TLS connection + round trip: direct {statistics.median(direct) * 1000:.1f} ms, through "
              f"the exchange {statistics.median(proxied) * 1000:.1f} ms (median of 100 each)")
    finally:
        server.stop()
        for backend in backends.values():
            backend.close()


if __name__ == "__main__":
    main()
