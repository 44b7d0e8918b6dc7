"""A REAL FATE Flow 2.2.0 on loopback (standalone engines, sqlite), from the venv scripts/fateflow-venv.sh
builds. One server per test session; it is stopped cleanly: running jobs stopped first, then SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.peers import require_peer

HTTP_PORT = 19380  # set by scripts/fateflow-venv.sh at `fate_flow init`


def venv_path() -> Path | None:
    value = os.environ.get("FATE_FLOW_VENV")
    if value and (Path(value) / ".complete").exists():
        return Path(value)
    return None


def require_fateflow() -> Path:
    venv = venv_path()
    require_peer("FATE Flow 2.2.0", venv is not None,
                 "run `make test` (it builds the FATE Flow venv via scripts/fateflow-venv.sh and sets FATE_FLOW_VENV)")
    assert venv is not None
    return venv


class FateFlowServer:
    def __init__(self, venv: Path) -> None:
        self.venv = venv
        self.url = f"http://127.0.0.1:{HTTP_PORT}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = venv / "home" / "server.log"

    def start(self, timeout: float = 90.0) -> None:
        server = next((self.venv / "lib").glob("python3*/site-packages/fate_flow/fate_flow_server.py"))
        env = {**os.environ, "HF_HOME": str(self.venv / "hf"), "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen([str(self.venv / "bin" / "python"), str(server)], cwd=self.venv / "home",
                                        env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"FATE Flow exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v2/server/fateflow", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"FATE Flow not up after {timeout} s: {self.log.read_text()[-3000:]}")

    def running_jobs(self) -> list[str]:
        ids = []
        for status in ("waiting", "ready", "running"):
            try:
                answer = httpx.get(f"{self.url}/v2/job/list/query", params={"status": status, "limit": 100},
                                   timeout=10).json()
            except (httpx.HTTPError, ValueError):
                return ids
            data = answer.get("data") or {}
            rows = data.get("data", []) if isinstance(data, dict) else data
            ids += [row["job_id"] for row in rows or []
                    if isinstance(row, dict) and row.get("status") in ("waiting", "ready", "running")]
        return sorted(set(ids))

    def stop_jobs(self, timeout: float = 30.0) -> None:
        for job_id in self.running_jobs():
            httpx.post(f"{self.url}/v2/job/stop", json={"job_id": job_id}, timeout=10)
        deadline = time.monotonic() + timeout
        while self.running_jobs() and time.monotonic() < deadline:
            time.sleep(1)

    def stop(self, jobs_first: bool = True) -> None:
        if self.process is None:
            return
        if jobs_first:
            try:
                self.stop_jobs()
            except httpx.HTTPError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass
        self.process = None


@contextmanager
def fateflow_server() -> Iterator[FateFlowServer]:
    server = FateFlowServer(require_fateflow())
    server.start()
    try:
        yield server
    finally:
        server.stop()
