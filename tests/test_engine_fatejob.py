"""The FateJob dynamic provider under the real Pulumi engine against a REAL FATE Flow 2.2.0 on loopback.

The engine starts its pulumi-python plugin (from the CLI's sdk module), which unpickles the provider the
program serialized (by reference: components.fate_job_provider) and calls it over gRPC, as under
`pulumi up`. tests/fixtures/engine_fatejob declares FATE's toy job. Needs the engine
(FATE_FEDERATION_ENGINE_BIN) and the FATE Flow venv (FATE_FLOW_VENV); skips without them except under
`make test`/CI. One server serves the module; each toy job takes 14-25 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import REPO, Engine, by_type, engine_bin_dir
from tests.support.fateflow_server import FateFlowServer, fateflow_server

PROGRAM = REPO / "tests" / "fixtures" / "engine_fatejob"
JOB_TYPE = "pulumi-python:dynamic/fate:Job"


@pytest.fixture(scope="module")
def flow() -> Iterator[FateFlowServer]:
    with fateflow_server() as server:
        yield server


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield Engine(engine_bin_dir(), tmp_path_factory.mktemp("engine-fatejob"))


def job_state(engine: Engine, project: Path, stack: str) -> dict:
    jobs = by_type(engine.resources(project, stack), JOB_TYPE)
    assert len(jobs) == 1, jobs
    return jobs[0]


def test_up_runs_the_toy_job_to_success_and_refresh_reads_it(engine: Engine, flow: FateFlowServer) -> None:
    project = engine.copy_project(PROGRAM, "toy-success")
    engine.init_stack(project, "success", {"endpoint": flow.url})
    up = engine.run(project, "success", "up")
    outputs = engine.outputs(project, "success")
    assert outputs["status"] == "success", up.stdout
    assert flow.job_statuses(outputs["jobId"]) == {"success"}
    state = job_state(engine, project, "success")
    assert state["id"] == outputs["jobId"] and state["outputs"]["party_statuses"] == {
        "guest:9999": "success", "host:10000": "success"}
    refreshed = engine.run(project, "success", "refresh", "--expect-no-changes")
    assert "unchanged" in refreshed.stdout
    assert job_state(engine, project, "success")["outputs"]["status"] == "success"
    engine.run(project, "success", "destroy")  # an ended job is only forgotten
    assert flow.job_statuses(outputs["jobId"]) == {"success"}
    assert by_type(engine.resources(project, "success"), JOB_TYPE) == []


def test_destroy_of_a_running_job_cancels_it(engine: Engine, flow: FateFlowServer) -> None:
    project = engine.copy_project(PROGRAM, "toy-cancel")
    engine.init_stack(project, "cancel", {"endpoint": flow.url, "wait": "false"})
    engine.run(project, "cancel", "up")
    job_id = engine.outputs(project, "cancel")["jobId"]
    assert flow.job_statuses(job_id) & {"waiting", "ready", "running"}
    destroyed = engine.run(project, "cancel", "destroy")
    assert "deleted" in destroyed.stdout
    assert flow.job_statuses(job_id) == {"canceled"}
    assert by_type(engine.resources(project, "cancel"), JOB_TYPE) == []
