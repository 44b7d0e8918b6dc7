"""FateJob as a resource in the program, under the engine mocks (the provider itself is never called
under mocks: tests/test_fate_job_provider.py and tests/test_fate_job_fateflow.py cover it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.fate_job import FateJob
from components.fateconf.fate_dag import toy_example_dag
from fedctl.engine import is_secret
from tests.support.pulumi_harness import render_federation, run_function, run_stack, shipped_config

JOB_TYPE = "pulumi-python:dynamic/fate:Job"


def test_type_token_inputs_and_secret_token() -> None:
    def program() -> dict[str, Any]:
        job = FateJob("toy", {"endpoint": "http://fateflow:9380", "dag": toy_example_dag(9999, 10000),
                              "app_id": "app", "app_token": "s3cret"})
        return {"status": job.status}

    run = run_function(program)
    [job] = run.of_type(JOB_TYPE)
    assert job.inputs["endpoint"] == "http://fateflow:9380"
    assert job.inputs["dag"]["dag"]["tasks"]["toy_example_0"]["component_ref"] == "toy_example"
    assert is_secret(job.inputs["app_token"])
    assert is_secret(job.inputs["__provider"])  # the pickled provider is stored as a secret


def test_preview_with_unknown_endpoint() -> None:
    def program() -> dict[str, Any]:
        unknown = pulumi.Output(set(), pulumi.Output.from_input(None).future(), pulumi.Output.from_input(False).future())
        job = FateJob("toy", {"endpoint": unknown, "dag": toy_example_dag(9999, 10000)})
        return {"job": job.job_id}

    run = run_function(program, preview=True)
    assert len(run.of_type(JOB_TYPE)) == 1


def test_verification_job_runs_only_once_joined() -> None:
    federation = render_federation(["exchange", "party-a", "party-b"])
    [job] = federation["party-a"].run.of_type(JOB_TYPE)
    assert job.name == "verification"
    assert job.inputs["dag"] == toy_example_dag(9999, 10000)
    assert job.inputs["endpoint"] == "http://127.0.0.1:9380"
    first_run = run_stack("party-a")  # no exchange yet: not joined
    assert first_run.of_type(JOB_TYPE) == []


def test_declared_jobs_from_dag_files(tmp_path: Path) -> None:
    config = shipped_config("party-a")
    config["fate-federation:party"]["jobs"] = [{"name": "toy", "dagFile": "jobs/toy.yaml", "timeoutS": 120}]
    run = run_stack("party-a", config)
    [job] = [j for j in run.of_type(JOB_TYPE) if j.name == "job-toy"]
    assert job.inputs["timeout_s"] == 120
    assert job.inputs["dag"]["dag"]["parties"][0] == {"role": "guest", "party_id": ["9999"]}
    assert run.outputs["jobs"]["toy"] is not None


def test_broken_dag_file_stops_before_any_resource(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 2.0.0\ndag:\n  parties: []\n  tasks: {}\n")
    config = shipped_config("party-a")
    config["fate-federation:party"]["jobs"] = [
        {"name": "ok", "dagFile": "jobs/toy.yaml"}, {"name": "broken", "dagFile": str(broken)},
        {"name": "missing", "dagFile": "jobs/none.yaml"}]
    with pytest.raises(Exception) as error:
        run_stack("party-a", config)
    message = str(error.value)
    assert "fate-federation:party.jobs[1].dagFile" in message and "list the parties" in message
    assert "fate-federation:party.jobs[2].dagFile" in message and "cannot read the DAG file" in message
