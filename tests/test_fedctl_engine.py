"""`fedctl up` and `status` on the REAL Pulumi engine (the CLI scripts/build-engine.sh builds, its
kubernetes plugin, a file backend), driving tests/fixtures/engine_program: a hub (like the exchange)
and two spokes (like parties) that read each other through StackReferences, in render mode
(kubernetes.renderYamlToDirectory: no API server): small and fast, for the orchestrator's own logic
(tests/test_engine_repository_stacks.py drives the repository's stacks on the embedded cluster); its stack files are described to the orchestrator by `describe_fixture` (hub -> exchange role, its
spokes; spoke -> party role, its hub). The program runs as an Automation API inline program (the
engine here has no Python language host). Skips without the engine, fails under `make test`/CI.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fedctl.automation import AutomationRunner, automation_outputs, project_program
from fedctl.orchestrate import drive, read_federation
from tests.support.cluster import running_cluster
from tests.support.engine import REPO, Engine, engine_bin_dir

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"
STACKS = ("hub", "spoke-a", "spoke-b")


def describe_fixture(raw: Mapping[str, Any]) -> tuple[str, list[str]]:
    if raw["role"] == "hub":
        return "exchange", [entry["stack"] for entry in raw["hub"]["spokes"]]
    return "party", [raw["spoke"]["hub"]]


def test_fedctl_up_converges_on_the_real_engine(tmp_path: Path) -> None:
    engine = Engine(engine_bin_dir(), tmp_path)
    project = engine.copy_project(PROGRAM)
    for stack in STACKS:
        engine.init_stack(project, stack, {"kubernetes.renderYamlToDirectory": str(tmp_path / "render" / stack)},
                          secrets=None if stack == "hub" else {"dbPassword": secrets.token_hex(16)})
    federation = read_federation(project, describe_fixture)
    env = engine.env()
    runner = AutomationRunner(project, backend=f"file://{engine.backend}", env=env, program=project_program(project))
    lines: list[str] = []
    outcome = drive(federation, runner, "up", report=lines.append)
    assert outcome.ok, outcome.failure
    # hub (spokes pending), spokes (join); hub (routes both), spokes read nothing new: settled
    assert [(s.round, s.stack, s.action) for s in outcome.steps] == [
        (0, "hub", "preview"), (0, "spoke-a", "preview"), (0, "spoke-b", "preview"),
        (1, "hub", "up"), (1, "spoke-a", "up"), (1, "spoke-b", "up"),
        (2, "hub", "up"), (2, "spoke-a", "up"), (2, "spoke-b", "up")]
    assert outcome.rounds == 2
    hub = engine.outputs(project, "hub")
    assert sorted(hub["routes"]) == [f"organization/engine-federation/{s}" for s in ("spoke-a", "spoke-b")]
    assert hub["pending"] == []
    assert engine.outputs(project, "spoke-a")["joinStatus"] == "joined engine.example.org"
    # what a user reads back through fedctl's outputs source: secrets redacted
    read = automation_outputs(project, list(STACKS), backend=f"file://{engine.backend}", env=env)
    assert read["spoke-a"]["dbPassword"] == "[secret]" and read["hub"]["routes"] == hub["routes"]
    # run again: one round, nothing changes
    runner = AutomationRunner(project, backend=f"file://{engine.backend}", env=env, program=project_program(project))
    again = drive(federation, runner, "up")
    assert again.ok and again.rounds == 1
    assert all(step.result is not None and not step.result.outputs_changed for step in again.steps)


def test_a_failing_preview_applies_nothing_on_the_real_engine(tmp_path: Path) -> None:
    """spoke-b lacks its required secret: its preview fails, so not even the hub is applied."""
    engine = Engine(engine_bin_dir(), tmp_path)
    project = engine.copy_project(PROGRAM)
    for stack in STACKS:
        engine.init_stack(project, stack, {"kubernetes.renderYamlToDirectory": str(tmp_path / "render" / stack)},
                          secrets={"dbPassword": secrets.token_hex(16)} if stack == "spoke-a" else None)
    runner = AutomationRunner(project, backend=f"file://{engine.backend}", env=engine.env(),
                              program=project_program(project))
    outcome = drive(read_federation(project, describe_fixture), runner, "up")
    assert not outcome.ok
    assert (outcome.failure.stack, outcome.failure.action) == ("spoke-b", "preview")
    assert "dbPassword" in outcome.failure.error
    assert [step.action for step in outcome.steps] == ["preview", "preview", "preview"]
    assert engine.outputs(project, "hub") == {} and engine.resources(project, "hub") == []


def test_an_unreachable_backend_is_reported_before_any_step(tmp_path: Path) -> None:
    engine = Engine(engine_bin_dir(), tmp_path)
    project = engine.copy_project(PROGRAM)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the backend directory should be")
    runner = AutomationRunner(project, backend=f"file://{blocker}/state", env=engine.env(),
                              program=project_program(project))
    outcome = drive(read_federation(project, describe_fixture), runner, "up")
    assert not outcome.ok and outcome.steps == []
    assert outcome.failure.error.startswith(f"cannot reach the backend (file://{blocker}/state): ")


def test_fedctl_up_and_destroy_on_the_embedded_cluster(tmp_path: Path) -> None:
    """`fedctl up` against the embedded cluster (real API server, controllers and scheduler; nodes and pods
    SIMULATED by kwok): the provider is not in render mode, it applies to the API server and awaits real
    status. Then `fedctl destroy` in reverse order. Asserted on what kubectl shows."""
    with running_cluster(tmp_path / "cluster") as kube:
        engine = Engine(engine_bin_dir(), tmp_path / "engine", extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        project = engine.copy_project(PROGRAM)
        contexts = {"hub": "exchange", "spoke-a": "party-a", "spoke-b": "party-b"}
        for stack in STACKS:
            engine.init_stack(project, stack, {"kubernetes.context": contexts[stack]},
                              secrets=None if stack == "hub" else {"dbPassword": secrets.token_hex(16)})
        federation = read_federation(project, describe_fixture)
        runner = AutomationRunner(project, backend=f"file://{engine.backend}", env=engine.env(),
                                  program=project_program(project))
        outcome = drive(federation, runner, "up")
        assert outcome.ok, outcome.failure
        assert outcome.rounds == 2
        for spoke in ("spoke-a", "spoke-b"):
            assert kube.get("statefulset", "db", "-n", spoke)["status"].get("readyReplicas") == 1
            assert kube.get("pvc", "data-db-0", "-n", spoke)["status"]["phase"] == "Bound"
        routes = " ".join(str(c.get("data")) for c in kube.get("configmap", "-n", "engine-hub")["items"])
        assert "spoke-a" in routes and "spoke-b" in routes

        runner = AutomationRunner(project, backend=f"file://{engine.backend}", env=engine.env(),
                                  program=project_program(project))
        destroyed = drive(federation, runner, "destroy")
        assert destroyed.ok, destroyed.failure
        assert [step.stack for step in destroyed.steps] == ["spoke-b", "spoke-a", "hub"]
        for spoke in ("spoke-a", "spoke-b"):
            assert kube.kubectl("get", "statefulset", "db", "-n", spoke, check=False).returncode != 0
            # retained: the spoke's namespace and its data claim stay in the API server
            assert kube.get("pvc", "data-db-0", "-n", spoke)["status"]["phase"] == "Bound"
