"""The FateJob provider against a REAL FATE Flow 2.2.0 started on loopback by the test (standalone engines).

Needs the FATE Flow venv that `make test` builds (scripts/fateflow-venv.sh, env FATE_FLOW_VENV); without
it these tests skip, and under `make test`/CI (FATE_FEDERATION_REQUIRE_PEERS=1) they fail. The provider's
methods are called as the Pulumi engine would call them (the engine itself is not on this machine).
One server serves the module; each toy job takes 14-25 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from components.fate_job_provider import FateJobProvider
from components.fate_job_status import FateJobFailed
from components.fateflow_client import FateFlowError
from components.fateconf.fate_dag import toy_example_dag
from tests.support.fateflow_server import ADMIN_APP, FateFlowServer, fateflow_server


@pytest.fixture(scope="module")
def flow() -> Iterator[FateFlowServer]:
    with fateflow_server() as server:
        yield server


def props(flow: FateFlowServer, dag: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"endpoint": flow.url, "dag": dag or toy_example_dag(9999, 10000), "timeout_s": 240, **extra}


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run a provider call the way the engine does (in a worker thread); its result or error lands in the dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except Exception as error:  # noqa: BLE001 (the tests assert which)
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def running_job(flow: FateFlowServer, timeout: float = 60) -> str:
    """The one job FATE Flow runs now, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = flow.active_jobs()
        if active:
            flow.wait_for(active[0], {"running"}, timeout=deadline - time.monotonic())
            return active[0]
        time.sleep(0.3)
    raise AssertionError("no job started")


def test_toy_job_runs_to_success_through_create_and_reads_back(flow: FateFlowServer,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    provider = FateJobProvider()
    created = provider.create(props(flow))
    outs = created.outs
    assert (outs["job_id"], outs["status"], outs["progress"], outs["timed_out"]) == (created.id, "success", 100, False)
    assert outs["party_statuses"] == {"guest:9999": "success", "host:10000": "success"}
    assert outs["task_statuses"] == {"toy_example_0": {"guest:9999": "success", "host:10000": "success"}}
    assert (outs["model_id"], outs["model_version"]) == (created.id, "0")
    assert outs["start_time"] < outs["end_time"] and outs["failed_tasks"] == []
    assert flow.job_statuses(created.id) == {"success"}
    progress = capsys.readouterr().err
    assert f"FATE job {created.id} submitted to {flow.url}" in progress
    assert f"FATE job {created.id}: running" in progress and f"FATE job {created.id}: success 100%" in progress

    read = provider.read(created.id, outs)
    assert (read.id, read.outs["status"], read.outs["end_time"]) == (created.id, "success", outs["end_time"])
    provider.delete(created.id, read.outs)  # an ended job is only forgotten
    assert flow.job_statuses(created.id) == {"success"}


def test_unknown_component_is_accepted_then_fails_with_its_error_report(flow: FateFlowServer) -> None:
    dag = toy_example_dag(9999, 10000)
    dag["dag"]["tasks"]["toy_example_0"]["component_ref"] = "no_such_component"
    with pytest.raises(FateJobFailed) as failure:
        FateJobProvider().create(props(flow, dag))
    message = str(failure.value)
    job_id = message.split()[2]
    assert message.startswith(f"FATE job {job_id} ended failed at {flow.url}")
    assert "task toy_example_0 at guest:9999: failed" in message
    assert "could not find registered cpn named `no_such_component`" in message  # FATE's own error report
    assert "Pulumi records no FateJob when its create fails" in message
    assert flow.job_statuses(job_id) == {"failed"}


def test_delete_during_a_run_leaves_the_job_canceled(flow: FateFlowServer) -> None:
    provider = FateJobProvider()
    created = provider.create(props(flow, wait=False))
    assert created.outs["status"] in ("waiting", "ready", "running") and created.outs["timed_out"] is False
    flow.wait_for(created.id, {"running"})
    provider.delete(created.id, created.outs)
    assert flow.job_statuses(created.id) == {"canceled"}
    provider.delete(created.id, created.outs)  # deleting again (an ended job) only forgets it
    assert provider.read(created.id, created.outs).outs["status"] == "canceled"


def test_job_stopped_from_outside_fails_the_update(flow: FateFlowServer) -> None:
    thread, outcome = in_background(lambda: FateJobProvider().create(props(flow)))
    job_id = running_job(flow)
    assert flow.request("POST", "/v2/job/stop", json={"job_id": job_id})["code"] == 0
    thread.join(timeout=60)
    error = outcome.get("error")
    assert isinstance(error, FateJobFailed), outcome
    assert str(error).startswith(f"FATE job {job_id} ended canceled")


def test_a_job_fate_flow_does_not_know_reads_as_gone(flow: FateFlowServer) -> None:
    read = FateJobProvider().read("202001010000000000000", props(flow))
    assert read.id is None and read.outs == {}


def test_fate_flow_restarted_while_the_job_runs(flow: FateFlowServer, capsys: pytest.CaptureFixture[str]) -> None:
    """FATE Flow goes away mid-job (SIGTERM to its PID) and comes back. The provider keeps waiting through
    the outage and then reports what FATE Flow says: the job's end, or (FATE Flow 2.2 can keep a job whose
    workers died with the server `running` for good) the job recorded as timed out at timeout_s, which a
    refresh (read) then reports as FATE Flow sees it."""
    provider = FateJobProvider(retries=1)  # surface the outage at once instead of bridging it in retries
    thread, outcome = in_background(lambda: provider.create(props(flow, timeout_s=40)))
    job_id = running_job(flow)
    flow.kill()
    time.sleep(2)
    flow.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    progress = capsys.readouterr().err
    assert f"warning: FATE job {job_id}: FATE Flow at {flow.url} did not answer GET /v2/job/query" in progress
    assert "still waiting (until timeout_s)" in progress
    final = flow.job_statuses(job_id)
    if "error" in outcome:
        assert isinstance(outcome["error"], FateJobFailed)
        assert str(outcome["error"]).startswith(f"FATE job {job_id} ended {sorted(final)[0]}"), (final, outcome)
        return
    outs = outcome["result"].outs
    assert outs["job_id"] == job_id
    if not outs["timed_out"]:
        assert outs["status"] == "success" and final == {"success"}
        return
    assert outs["status"] in ("waiting", "ready", "running") and "timed_out=true" in progress
    refreshed = provider.read(job_id, outs)  # what `pulumi refresh` does to resume
    assert refreshed.id == job_id and {refreshed.outs["status"]} == flow.job_statuses(job_id)
    flow.stop_jobs()
    assert provider.read(job_id, outs).outs["status"] == "canceled"


def test_signed_requests_pass_fate_flow_client_authentication() -> None:
    """A second real FATE Flow, with client authentication ON: the provider's signature is accepted, a wrong
    token is refused by FATE Flow itself (code 5003)."""
    with fateflow_server(auth=True) as secured:
        app_id, app_token = ADMIN_APP
        with pytest.raises(FateFlowError, match="code 5003: varify failed!"):
            FateJobProvider().create(props(secured, app_id=app_id, app_token="not-the-token"))
        with pytest.raises(FateFlowError, match=r"code 5001: Invalid parameter: name\[appId\]"):
            FateJobProvider().create(props(secured))
        assert secured.active_jobs() == []
        provider = FateJobProvider()
        created = provider.create(props(secured, app_id=app_id, app_token=app_token, wait=False))
        secured.wait_for(created.id, {"running"})
        provider.delete(created.id, created.outs)  # stop, signed
        assert secured.job_statuses(created.id) == {"canceled"}
