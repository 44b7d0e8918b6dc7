"""A REAL FATE Flow 2.2.0 on loopback (standalone engines, sqlite) for tests and benchmarks.

The venv comes from scripts/fateflow-venv.sh (env FATE_FLOW_VENV). `fate_flow init` writes one home into
the installed package, so a server started straight from the venv would share its ports, sqlite file and
job folders with every other test run on the machine. Instead each server gets a home of its own (a copy
of the venv's template conf with free loopback ports) and a `sitecustomize` that points FATE Flow's
settings at that home in the server AND in every task worker it spawns (workers inherit PYTHONPATH).
Stopping is clean: running jobs are stopped and seen canceled first, then SIGTERM to the server's PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from components.fateflow_client import sign
from tests.support.peers import require_peer

ACTIVE_STATES = ("waiting", "ready", "running")
ADMIN_APP = ("admin", "fate_flow_admin")
"""The app FATE Flow 2.2 creates for itself when client authentication is on (its settings.ADMIN_KEY)."""
HOW = "run `make test` (it builds the FATE Flow venv with scripts/fateflow-venv.sh and sets FATE_FLOW_VENV)"

SITECUSTOMIZE = '''"""Written by tests/support/fateflow_server.py: FATE Flow's settings point at this test home."""
import os

_home = os.environ.get("FATE_FLOW_TEST_HOME")
if _home:
    import fate_flow.settings as _settings

    _settings.DEFAULT_SERVER_CONF_PATH = os.path.join(_home, "conf")
    _settings.LOG_DIR = os.path.join(_home, "logs")
    _settings.DATA_DIR = os.path.join(_home, "data")
    _settings.MODEL_DIR = os.path.join(_home, "model")
    _settings.JOB_DIR = os.path.join(_home, "jobs")
    _settings.UPLOAD_DATA_HOME = os.path.join(_home, "upload")
    _settings.SQLITE_FILE_DIR = ""
    _settings.SQLITE_FILE_NAME = os.path.join(_home, "fate_flow_sqlite.db")
'''


def venv_path() -> Path | None:
    """The complete FATE Flow venv named by FATE_FLOW_VENV, or None."""
    value = os.environ.get("FATE_FLOW_VENV")
    if value and (Path(value) / ".complete").exists():
        return Path(value)
    return None


def require_fateflow() -> Path:
    """The venv, or skip (fail under `make test`/CI) with the way to get it."""
    venv = venv_path()
    require_peer("FATE Flow 2.2.0 (env FATE_FLOW_VENV)", venv is not None, HOW)
    assert venv is not None
    return venv


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FateFlowServer:
    """One FATE Flow server process with its own home, ports and sqlite file."""

    def __init__(self, venv: Path, home: Path, auth: bool = False, python_paths: Sequence[Path] = ()) -> None:
        """`python_paths`: folders the server and its task workers import from besides the venv (e.g. the
        Pulsar client a Pulsar federation needs, which the venv does not hold)."""
        self.venv = venv
        self.python_paths = [str(path) for path in python_paths]
        self.home = home
        self.http_port = free_port()
        self.grpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log = home / "server.log"
        self.auth = auth
        self.process: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []
        """Process groups of every server started here (its task workers run in them)."""
        self._prepare()

    def _prepare(self) -> None:
        shutil.copytree(self.venv / "home" / "conf", self.home / "conf")
        self.configure(yaml.safe_load((self.home / "conf" / "service_conf.yaml").read_text()))
        site = self.home / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (self.home / "hf").mkdir()

    def configure(self, service_conf: Mapping[str, Any], conf_files: Mapping[str, str] | None = None) -> None:
        """Serve `service_conf` (before `start`), with this server's own listen address, ports and client
        authentication; `conf_files` are written beside it (e.g. pulsar_route_table.yaml, which FATE Flow
        reads from its conf folder for every Pulsar job)."""
        conf = {**service_conf, "fateflow": {**service_conf["fateflow"], "host": "127.0.0.1",
                                             "http_port": self.http_port, "grpc_port": self.grpc_port}}
        conf["authentication"] = {"client": self.auth, "site": False, "permission": False}
        (self.home / "conf" / "service_conf.yaml").write_text(yaml.safe_dump(conf))
        for name, content in (conf_files or {}).items():
            (self.home / "conf" / name).write_text(content)

    def _env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        python_path = os.pathsep.join([str(self.home / "site"), *self.python_paths])
        return {**env, "FATE_FLOW_TEST_HOME": str(self.home), "PYTHONPATH": python_path,
                "HF_HOME": str(self.home / "hf"), "PYTHONUNBUFFERED": "1"}

    def start(self, timeout: float = 90.0) -> None:
        """Start the server and wait until it answers (2-4 s when warm)."""
        server = next((self.venv / "lib").glob("python3*/site-packages/fate_flow/fate_flow_server.py"))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(self.venv / "bin" / "python"), str(server)], cwd=self.home,
                                            env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.groups.append(self.process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"FATE Flow exited ({self.process.returncode}): {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v2/server/fateflow", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"FATE Flow not up after {timeout} s: {self.log.read_text()[-3000:]}")

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One call to this server's API (signed as its admin app when authentication is on)."""
        headers = sign(*ADMIN_APP) if self.auth else {}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs).json()

    def job_statuses(self, job_id: str) -> set[str]:
        """Every party's status of one job, as FATE Flow reports it."""
        answer = self.request("GET", "/v2/job/query", params={"job_id": job_id})
        return {row["status"] for row in answer.get("data") or []}

    def active_jobs(self) -> list[str]:
        """Jobs not ended yet (waiting, ready or running)."""
        ids: set[str] = set()
        for status in ACTIVE_STATES:
            answer = self.request("GET", "/v2/job/list/query", params={"status": status, "limit": 100})
            data = answer.get("data") or {}
            rows = data.get("data", []) if isinstance(data, dict) else data
            ids |= {row["job_id"] for row in rows or [] if isinstance(row, dict) and row.get("status") == status}
        return sorted(ids)

    def wait_for(self, job_id: str, states: set[str], timeout: float = 60.0) -> set[str]:
        """Poll until every party of the job is in one of `states`; the statuses seen last."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            seen = self.job_statuses(job_id)
            if seen and seen <= states:
                return seen
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} did not reach {sorted(states)} in {timeout} s: {sorted(seen)}")

    def stop_jobs(self, timeout: float = 30.0) -> None:
        """Stop every active job and wait until each reads canceled (or ended)."""
        for job_id in self.active_jobs():
            self.request("POST", "/v2/job/stop", json={"job_id": job_id})
        deadline = time.monotonic() + timeout
        while self.active_jobs() and time.monotonic() < deadline:
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGTERM to the server's PID (never by name), SIGKILL if it lingers; its task workers live on,
        as they do when a real FATE Flow restarts."""
        if self.process is None:
            return
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def stop(self) -> None:
        """Stop the jobs first (task workers outlive a killed server), then the server, then any worker
        of ours still winding down (the server's own process group)."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.stop_jobs()
            except httpx.HTTPError:
                pass
        self.kill()
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                pass


@contextmanager
def fateflow_server(auth: bool = False) -> Iterator[FateFlowServer]:
    """A started FATE Flow in a temporary home, stopped and removed afterwards."""
    venv = require_fateflow()
    home = Path(tempfile.mkdtemp(prefix="fateflow-test-"))
    server = FateFlowServer(venv, home, auth=auth)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
