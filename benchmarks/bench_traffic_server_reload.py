"""Time from a route change to the route being live on a REAL Traffic Server, both mechanisms side by
side, where the reload's time goes, and per-connection overhead.

The exchange is rendered (engine mocks) with party-a only, started in Debian's Traffic Server through the
exchange's own entry script, then party-b is added and removed again, N times:
- by name (now): the exchange's one static rule, party-b's Service created/deleted = its DNS answers
  appearing/disappearing on a real DNS server on loopback (cluster DNS's place; tests.support.loopback_dns);
- reload (before): party-b as a tunnel_route of its own in sni.yaml, swapped in the mounted ConfigMap
  directory the way kubelet does and reloaded by the entry script (poll + `traffic_ctl config reload`).
  Its split comes from Traffic Server's own logs: the swap to traffic_manager noticing the change
  (`User has changed config file`), and from there to traffic_server loading sni.yaml (traffic_manager's
  5 s record push cycle).
Needs `traffic_server` (scripts/install-traffic-server.sh).
Usage: .venv/bin/python benchmarks/bench_traffic_server_reload.py [--cycles N]
"""

from __future__ import annotations

import argparse
import datetime
import re
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.support.pulumi_harness import render_federation, run_program, shipped_config  # noqa: E402
from tests.support.tls_backends import TlsEchoBackend, round_trip, tls_client  # noqa: E402
from components.fateconf import ats  # noqa: E402
from tests.support.traffic_server import ExchangeRoutes, TrafficServer, exchange_routes, free_port  # noqa: E402

DOMAIN = "fate.example.org"
REFS = {"party-a": "organization/fate-federation/party-a", "party-b": "organization/fate-federation/party-b"}


def exchange_with(parties: dict) -> object:
    config = shipped_config("exchange")
    config["fate-federation:exchange"]["parties"] = [{"stack": ref} for ref in parties]
    return run_program("exchange", config, stack_outputs=parties)


def files(run: object) -> tuple[dict, ExchangeRoutes, dict]:
    return (run.k8s_object("ConfigMap", "traffic-server-config")["data"],  # type: ignore[attr-defined]
            exchange_routes(run),
            run.k8s_object("Secret", "traffic-server-cert")["stringData"])  # type: ignore[attr-defined]


def own_route_routes(outputs: dict, with_b: bool) -> ExchangeRoutes:
    """The reload mechanism: every party a tunnel_route of its own in sni.yaml, no party Service."""
    routes = []
    for party_id, stack in ((9999, "party-a"), (10000, "party-b"))[:2 if with_b else 1]:
        tls = outputs[stack]["endpoints"]["pulsarTls"]
        routes.append(ats.SniRoute(f"{party_id}.{DOMAIN}", tls["host"], int(tls["port"])))
    return ExchangeRoutes(ats.sni_yaml(routes), {})


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
        time.sleep(0.01)
    raise SystemExit(f"not reached within {timeout} s")


_STAMP = re.compile(r"^\[(\w{3} \d+ \d\d:\d\d:\d\d\.\d{3})\]")


def stamps(path: Path, marker: str) -> list[float]:
    """Times (seconds of the day) of the log lines containing `marker`."""
    times = []
    for line in path.read_text(errors="replace").splitlines():
        match = _STAMP.match(line)
        if match and marker in line:
            clock = datetime.datetime.strptime(match.group(1).split(" ", 2)[-1], "%H:%M:%S.%f")
            times.append(clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6)
    return times


def run_cycles(cycles: int, config: tuple, only_a: ExchangeRoutes, both: ExchangeRoutes, backends: dict,
               ca: str) -> dict[str, list[float]]:
    server = TrafficServer(Path(tempfile.mkdtemp(prefix="ats-bench-")), config_files=config[0], routes=only_a,
                           cert_files=config[2],
                           backends={f"{pid}.{DOMAIN}": b.port for pid, b in backends.items()})
    server.start()
    result: dict[str, list[float]] = {"added": [], "removed": [], "noticed": [], "loaded": []}
    try:
        tunnel = tls_client(server.listen_port, f"9999.{DOMAIN}", ca)
        for _ in range(cycles):
            for routes, key, want in ((both, "added", True), (only_a, "removed", False)):
                now = datetime.datetime.now()
                swapped = now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6
                server.update_routes(routes)
                result[key].append(wait(lambda: live(server.listen_port, f"10000.{DOMAIN}", ca) == want))
                noticed = [t for t in stamps(server.root / "log" / "manager.log", "User has changed config file")
                           if t >= swapped]
                loaded = [t for t in stamps(server.root / "log" / "diags.log", "sni.yaml finished loading")
                          if t >= swapped]
                if noticed and loaded:
                    result["noticed"].append(noticed[0] - swapped)
                    result["loaded"].append(loaded[0] - noticed[0])
                if round_trip(tunnel, b"open") != b"9999:open":  # the tunnel opened first still carries data
                    raise SystemExit("an open tunnel was cut by a reload")
        tunnel.close()
    finally:
        server.close()
    return result


def line(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, max {max(values):.2f} s (n={len(values)})" if values else "-"


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
    try:
        runs = {"by name: party Service + DNS, no reload (now)": run_cycles(args.cycles, only_a, only_a[1], both[1],
                                                                           backends, ca),
                f"reload: own tunnel_route, {ats.RELOAD_POLL_SECONDS:g} s poll + traffic_ctl (before)": run_cycles(
                    args.cycles, only_a, own_route_routes(outputs, False), own_route_routes(outputs, True),
                    backends, ca)}
        server = TrafficServer(Path(tempfile.mkdtemp(prefix="ats-bench-")), config_files=both[0], routes=both[1],
                               cert_files=both[2], backends={f"{pid}.{DOMAIN}": b.port for pid, b in backends.items()})
        server.start()
        direct, proxied = [], []
        try:
            for _ in range(100):
                for port, times in ((backends[9999].port, direct), (server.listen_port, proxied)):
                    started = time.perf_counter()
                    with tls_client(port, f"9999.{DOMAIN}", ca) as conn:
                        round_trip(conn, b"x")
                    times.append(time.perf_counter() - started)
        finally:
            server.close()
        print("Traffic Server (Debian trafficserver 9.2) under traffic_manager through the exchange's entry script, "
              "party-b added and removed; a tunnel opened before the first change carried data after every change:")
        for label, result in runs.items():
            print(f"  {label}:")
            print(f"    route added -> live:      {line(result['added'])}")
            print(f"    route removed -> refused: {line(result['removed'])}")
            if result["noticed"]:
                print(f"    swap -> traffic_manager notices (poll + traffic_ctl): {line(result['noticed'])}")
                print(f"    traffic_manager -> traffic_server loads sni.yaml (its 5 s record push): "
                      f"{line(result['loaded'])}")
        print(f"  new TLS connection + round trip: direct {statistics.median(direct) * 1000:.1f} ms, through "
              f"the exchange {statistics.median(proxied) * 1000:.1f} ms (median of 100 each)")
    finally:
        for backend in backends.values():
            backend.close()


if __name__ == "__main__":
    main()
