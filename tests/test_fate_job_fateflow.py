"""The FateJob provider against a REAL FATE Flow 2.2.0 started on loopback (standalone engines).

Needs the FATE Flow venv that `make test` builds (scripts/fateflow-venv.sh, env FATE_FLOW_VENV). The
provider's methods are called as the Pulumi engine would call them (the engine itself is not here).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from components.fate_job_provider import FateJobFailed, FateJobProvider
from components.fateconf.fate_dag import toy_example_dag
from tests.support.fateflow_server import FateFlowServer, fateflow_server


@pytest.fixture(scope="module")
def flow() -> Iterator[FateFlowServer]:
    with fateflow_server() as server:
        yield server


def props(flow: FateFlowServer, dag: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"endpoint": flow.url, "dag": dag, "wait": True, "timeout_s": 300, **extra}


def job_status(flow: FateFlowServer, job_id: str) -> set[str]:
    rows = httpx.get(f"{flow.url}/v2/job/query", params={"job_id": job_id}, timeout=10).json()["data"]
    return {row["status"] for row in rows}


def wait_until_running(flow: FateFlowServer, job_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "running" in job_status(flow, job_id):
            return
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never ran: {job_status(flow, job_id)}")


def submitted_job(flow: FateFlowServer, timeout: float = 30) -> str:
    """The job a provider call running in another thread submitted, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = flow.running_jobs()
        if running:
            wait_until_running(flow, running[0])
            return running[0]
        time.sleep(0.3)
    raise AssertionError("no job was submitted")


def test_toy_job_runs_to_success_and_reads_back(flow: FateFlowServer) -> None:
    provider = FateJobProvider()
    created = provider.create(props(flow, toy_example_dag(9999, 10000)))
    outs = created.outs
    assert outs["status"] == "success"
    assert outs["party_statuses"] == {"guest:9999": "success", "host:10000": "success"}
    assert outs["task_statuses"] == {"toy_example_0 guest:9999": "success", "toy_example_0 host:10000": "success"}
    assert outs["progress"] == 100 and outs["model_id"] == created.id and outs["model_version"] == "0"
    assert outs["start_time"] < outs["end_time"]
    read = provider.read(created.id, outs)
    assert read.id == created.id and read.outs["status"] == "success"


def test_unknown_component_fails_with_its_error_report(flow: FateFlowServer) -> None:
    dag = toy_example_dag(9999, 10000)
    dag["dag"]["tasks"]["toy_example_0"]["component_ref"] = "no_such_component"
    with pytest.raises(FateJobFailed) as failure:
        FateJobProvider().create(props(flow, dag))
    message = str(failure.value)
    assert "ended failed" in message and "toy_example_0" in message
    assert "no_such_component" in message  # FATE's own error report names the missing component
    assert "Pulumi records no job" in message


def test_delete_during_a_run_leaves_the_job_canceled(flow: FateFlowServer) -> None:
    provider = FateJobProvider()
    created = provider.create(props(flow, toy_example_dag(9999, 10000), wait=False))
    wait_until_running(flow, created.id)
    provider.delete(created.id, created.outs)
    assert job_status(flow, created.id) == {"canceled"}
    provider.delete(created.id, created.outs)  # deleting again (an ended job) only forgets it


def test_job_stopped_from_outside_fails_the_update(flow: FateFlowServer) -> None:
    provider = FateJobProvider()
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["created"] = provider.create(props(flow, toy_example_dag(9999, 10000)))
        except FateJobFailed as error:
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    job_id = submitted_job(flow)
    httpx.post(f"{flow.url}/v2/job/stop", json={"job_id": job_id}, timeout=10)
    thread.join(timeout=120)
    assert "ended canceled" in str(result.get("error")) and job_id in str(result.get("error"))


def test_job_unknown_to_fateflow_reads_as_gone(flow: FateFlowServer) -> None:
    read = FateJobProvider().read("202001010000000000000", {"endpoint": flow.url, "dag": toy_example_dag(9999, 10000)})
    assert read.id is None


def test_fateflow_restarted_while_the_job_runs(flow: FateFlowServer) -> None:
    """FATE Flow goes away mid-job and comes back: the provider keeps waiting, then reports what FATE Flow
    decided (it marks jobs interrupted by a restart failed)."""
    provider = FateJobProvider()
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["created"] = provider.create(props(flow, toy_example_dag(9999, 10000), timeout_s=240))
        except Exception as error:  # noqa: BLE001 (the assertion below says which)
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    job_id = submitted_job(flow)
    flow.stop(jobs_first=False)
    time.sleep(2)
    flow.start()
    thread.join(timeout=240)
    outcome = result.get("created") or result.get("error")
    assert outcome is not None
    if "error" in result:
        assert job_id in str(result["error"]) and isinstance(result["error"], FateJobFailed)
    else:
        assert result["created"].outs["status"] == "success"
    flow.stop_jobs()
