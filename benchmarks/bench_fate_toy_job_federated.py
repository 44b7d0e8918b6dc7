"""FATE's toy job, wall time from submit to `success` on both parties: two REAL FATE Flow 2.2 servers federated
over Pulsar through the exchange (tests/support/federated_fate.py), side by side with what the single-node
check does instead, one FATE Flow with standalone federation (both parties in one server, no broker).

Runs are alternated (federated, standalone, federated, ...) so machine load hits both alike. The figure is
this machine's clock from the submit's answer to the poll that saw the last party end (0.5 s polling).
Needs FATE_FLOW_VENV, FATE_FEDERATION_PULSAR_HOME, traffic_server and nginx with lua (make test / make bench).
Usage: .venv/bin/python benchmarks/bench_fate_toy_job_federated.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from components.fateconf.fate_dag import toy_example_dag  # noqa: E402
from components.fateflow_client import FateFlowApi  # noqa: E402
from tests.support.fateflow_server import FateFlowServer, fateflow_server  # noqa: E402
from tests.support.federated_fate import GUEST, HOST, federated_parties, wait_for_end  # noqa: E402


def toy_job_seconds(submit_to: FateFlowServer, parties: list[FateFlowServer]) -> float:
    """Submit the toy job to `submit_to`; seconds until every one of `parties` reads it ended in success."""
    with FateFlowApi(submit_to.url) as api:
        job_id, _ = api.submit({"dag": toy_example_dag(GUEST, HOST)})
    started = time.monotonic()
    for flow in parties:
        status = wait_for_end(flow, job_id, 300)
        assert status == "success", f"job {job_id} at {flow.url}: {status}"
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="toy jobs per setup (each takes 15-40 s)")
    args = parser.parse_args()
    federated: list[float] = []
    standalone: list[float] = []
    with federated_parties() as parties, fateflow_server() as single:
        guest, host = parties.flows[GUEST], parties.flows[HOST]
        tunnels = parties.exchange_tunnels()
        for _ in range(args.runs):
            federated.append(toy_job_seconds(guest, [guest, host]))
            standalone.append(toy_job_seconds(single, [single]))
        tunnels = parties.exchange_tunnels() - tunnels
    print(f"toy job (guest {GUEST}, host {HOST}), submit -> success on every party, {args.runs} run(s) each")
    print(f"{'setup':62} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in (("two FATE Flows, Pulsar replication through the exchange", federated),
                         ("one FATE Flow, standalone federation (what it replaces)", standalone)):
        print(f"{name:62} {statistics.median(values):9.1f} {min(values):7.1f} {max(values):7.1f}")
    print(f"exchange tunnels opened during the federated runs: {tunnels}")


if __name__ == "__main__":
    main()
