"""FateJob as a resource in a program, under the engine mocks (test doubles: the Pulumi engine is fedctl's
mock monitor, so the provider itself is never called here: tests/test_fate_job_provider.py and
tests/test_fate_job_fateflow.py cover it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re

import pulumi
import pytest

from components.fate_job import FateJob, FateJobArgs
from components.fate_job_provider import OUTPUT_KEYS
from components.fateconf.fate_dag import toy_example_dag
from fedctl.wire import is_secret
from tests.support.pulumi_harness import run_component, run_program, shipped_config, stack_ref

JOB_TYPE = "pulumi-python:dynamic/fate:Job"


def unknown() -> pulumi.Output[Any]:
    """An input that is not known during a preview (another resource's output)."""
    return pulumi.Output(set(), pulumi.Output.from_input(None).future(), pulumi.Output.from_input(False).future())


def test_type_token_snake_case_inputs_and_secret_token() -> None:
    def program() -> dict[str, Any]:
        job = FateJob("toy", {"endpoint": "http://fateflow:9380", "dag": toy_example_dag(9999, 10000),
                              "app_id": "app", "app_token": "s3cret", "timeout_s": 120})
        return {"status": job.status}

    run = run_component(program)
    [job] = run.of_type(JOB_TYPE)
    assert job.inputs["endpoint"] == "http://fateflow:9380" and job.inputs["timeout_s"] == 120
    assert job.inputs["dag"]["dag"]["tasks"]["toy_example_0"]["component_ref"] == "toy_example"
    assert is_secret(job.inputs["app_token"]) and job.inputs["app_token"]["value"] == "s3cret"
    assert not is_secret(job.inputs["app_id"])
    assert is_secret(job.inputs["__provider"])  # the pickled provider is stored as a secret
    assert is_secret(job.outputs["app_token"])  # kept secret in state too (additional_secret_outputs)
    assert "s3cret" not in str(run.outputs)


def test_every_output_is_a_snake_case_property_a_program_can_read() -> None:
    """What a program (and `pulumi stack output`) sees: each output as an attribute and a state property,
    in snake_case like the inputs."""
    args: FateJobArgs = {"endpoint": "http://fateflow:9380", "dag": toy_example_dag(9999, 10000), "wait": False,
                         "timeout_s": 60, "poll_interval_s": 1, "max_poll_interval_s": 2, "party_id": 9999}

    def program() -> dict[str, Any]:
        job = FateJob("toy", args)
        return {key: getattr(job, key).apply(lambda _value: "readable") for key in OUTPUT_KEYS}

    run = run_component(program)
    [job] = run.of_type(JOB_TYPE)
    assert run.outputs == {key: "readable" for key in OUTPUT_KEYS}
    assert set(args) <= set(job.inputs)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in job.inputs if key != "__provider")


def test_preview_with_unknown_inputs_registers_the_job_with_unknown_outputs() -> None:
    def program() -> dict[str, Any]:
        job = FateJob("toy", {"endpoint": unknown(), "dag": unknown(), "party_id": unknown()})
        return {"job_id": job.job_id, "status": job.status}

    run = run_component(program, preview=True)
    [job] = run.of_type(JOB_TYPE)
    assert isinstance(job.inputs["endpoint"], pulumi.output.Unknown)
    assert isinstance(job.inputs["dag"], pulumi.output.Unknown)
    assert isinstance(run.raw_outputs["job_id"], pulumi.output.Unknown)
    assert isinstance(run.raw_outputs["status"], pulumi.output.Unknown)


def test_verification_job_runs_only_once_joined(rendered_federation: dict[str, Any]) -> None:
    """party-a with `verification.enabled` (off in its stack file: no FATE Flow on the embedded cluster), run
    against the settled federation's exchange outputs."""
    config = shipped_config("party-a")
    config["fate-federation:party"]["verification"]["enabled"] = True
    exchange = rendered_federation["exchange"].run.outputs
    joined = run_program("party-a", config, stack_outputs={stack_ref("exchange"): exchange})
    [job] = joined.of_type(JOB_TYPE)
    assert job.name == "verification"
    assert job.inputs["dag"] == toy_example_dag(9999, 10000)
    assert job.inputs["endpoint"] == "http://127.0.0.1:9380"
    first_run = run_program("party-a", config)  # no exchange yet: not joined
    assert first_run.of_type(JOB_TYPE) == []


def test_declared_jobs_from_dag_files() -> None:
    config = shipped_config("party-a")
    config["fate-federation:party"]["jobs"] = [{"name": "toy", "dagFile": "jobs/toy.yaml", "timeoutS": 120}]
    run = run_program("party-a", config)
    [job] = [j for j in run.of_type(JOB_TYPE) if j.name == "job-toy"]
    assert job.inputs["timeout_s"] == 120
    assert job.inputs["dag"]["dag"]["parties"][0] == {"role": "guest", "party_id": ["9999"]}
    assert set(run.outputs["jobs"]) == {"toy"}  # the declared job; the verification job waits to be joined


def test_broken_dag_file_stops_before_any_resource(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 2.0.0\ndag:\n  parties: []\n  tasks: {}\n")
    config = shipped_config("party-a")
    config["fate-federation:party"]["jobs"] = [
        {"name": "ok", "dagFile": "jobs/toy.yaml"}, {"name": "broken", "dagFile": str(broken)},
        {"name": "missing", "dagFile": "jobs/none.yaml"}]
    with pytest.raises(Exception) as error:
        run_program("party-a", config)
    message = str(error.value)
    assert "fate-federation:party.jobs[1].dagFile" in message and "list the parties" in message
    assert "fate-federation:party.jobs[2].dagFile" in message and "cannot read the DAG file" in message
