"""FateJob on a REAL FATE Flow 2.2.0: HTTP requests per toy job, and how late the provider notices the end.

For each polling policy, runs the toy job through FateJobProvider.create (as `pulumi up` would) and prints
the requests it sent and the delay between FATE Flow's own end time for the job (the latest party's
`end_time`) and the moment the provider received the answer that showed the job ended. Both clocks are
this machine's. Uses FATE_FLOW_VENV, or builds/reuses the cached venv with scripts/fateflow-venv.sh.

    .venv/bin/python benchmarks/bench_fate_job.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from components import fateflow_client  # noqa: E402
from components.fate_job_provider import FateJobProvider  # noqa: E402
from components.fate_job_status import TERMINAL_STATES  # noqa: E402
from components.fateconf.fate_dag import toy_example_dag  # noqa: E402
from tests.support.fateflow_server import fateflow_server  # noqa: E402

POLICIES: dict[str, dict[str, float]] = {
    "default (1 s, x1.5, max 3 s)": {},
    "fast (0.5 s fixed)": {"poll_interval_s": 0.5, "max_poll_interval_s": 0.5},
}


class Recorder:
    """Counts requests and notes when a job query first answered with every party ended."""

    def __init__(self) -> None:
        self.requests = 0
        self.noticed: float | None = None

    def on_request(self, _request: httpx.Request) -> None:
        self.requests += 1

    def on_response(self, response: httpx.Response) -> None:
        if self.noticed is not None or response.request.url.path != "/v2/job/query":
            return
        response.read()
        rows = response.json().get("data") or []
        if rows and all(row.get("status") in TERMINAL_STATES for row in rows):
            self.noticed = time.time()

    def client(self, base_url: str, timeout_s: float) -> httpx.Client:
        return httpx.Client(base_url=base_url, timeout=timeout_s,
                            event_hooks={"request": [self.on_request], "response": [self.on_response]})


def ensure_venv() -> None:
    if os.environ.get("FATE_FLOW_VENV"):
        return
    built = subprocess.run(["bash", str(REPO / "scripts" / "fateflow-venv.sh")], check=True, text=True,
                           stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
    os.environ["FATE_FLOW_VENV"] = built


def run_once(url: str, policy: dict[str, float]) -> dict[str, Any]:
    recorder = Recorder()
    fateflow_client.make_client = recorder.client
    started = time.time()
    outs = FateJobProvider().create({"endpoint": url, "dag": toy_example_dag(9999, 10000), "timeout_s": 300,
                                     **policy}).outs
    assert outs["status"] == "success", outs
    ended = dt.datetime.fromisoformat(outs["end_time"].replace("Z", "+00:00")).timestamp()
    assert recorder.noticed is not None
    return {"job_id": outs["job_id"], "seconds": recorder.noticed - started, "requests": recorder.requests,
            "delay_ms": (recorder.noticed - ended) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="toy jobs per polling policy (each takes 15-25 s)")
    args = parser.parse_args()
    ensure_venv()
    original = fateflow_client.make_client
    with fateflow_server() as server:
        print(f"FATE Flow 2.2.0 at {server.url}; toy job 9999 -> 10000; {args.runs} run(s) per policy")
        print(f"{'policy':30} {'job id':22} {'submit->noticed s':>18} {'requests':>9} {'end->noticed ms':>16}")
        try:
            for name, policy in POLICIES.items():
                results = [run_once(server.url, policy) for _ in range(args.runs)]
                for result in results:
                    print(f"{name:30} {result['job_id']:22} {result['seconds']:18.1f} {result['requests']:9d} "
                          f"{result['delay_ms']:16.0f}")
                delays = [r["delay_ms"] for r in results]
                print(f"{name:30} {'mean':22} {statistics.mean(r['seconds'] for r in results):18.1f} "
                      f"{statistics.mean(r['requests'] for r in results):9.1f} {statistics.mean(delays):16.0f}"
                      f"   (max delay {max(delays):.0f} ms)")
        finally:
            fateflow_client.make_client = original


if __name__ == "__main__":
    main()
