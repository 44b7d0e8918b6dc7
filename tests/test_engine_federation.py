"""The real Pulumi engine (CLI v3.274, kubernetes provider plugin) runs a federation on a file backend.

tests/fixtures/engine_program is a hub (like the exchange) and spokes (like parties) built from the
program's own kube.Module and explicit provider, in render mode (kubernetes.renderYamlToDirectory: no API
server here). The repository's own stacks also need the tls and random plugins (the real ones cannot be
built here: tests/test_engine_faults.py shows what the engine says; tests/test_engine_repository_stacks.py
runs them on the project's stand-ins). One backend and one bootstrap
(hub, then spokes, then hub) serve the module; tests that change config preview only, or use their own
stack. Needs scripts/build-engine.sh's bin dir (FATE_FEDERATION_ENGINE_BIN); skips without it except
under `make test`/CI.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.engine import REPO, Engine, by_type, engine_bin_dir

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"
PROJECT = "engine-federation"
SPOKES = ("spoke-a", "spoke-b")


def qualified(stack: str) -> str:
    return f"organization/{PROJECT}/{stack}"


def resource_states(resources: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a refresh could change in the kubernetes objects: identity, inputs and outputs. (The
    StackReferences are re-read by a refresh: same values, secrets re-encrypted with a new nonce.)"""
    return [(r["urn"], r.get("id"), r.get("inputs"), r.get("outputs")) for r in resources
            if r["type"].startswith(("kubernetes:", "pulumi:providers:kubernetes"))]


@dataclass
class Federation:
    engine: Engine
    project: Path
    passwords: dict[str, str]
    runs: dict[str, Any] = field(default_factory=dict)
    """Step name -> what the step printed or exported, in bootstrap order."""

    def render_dir(self, stack: str) -> Path:
        return self.engine.root / "render" / stack

    def init(self, stack: str) -> None:
        """A stack in this backend, rendering into its own directory; a spoke without a stack file of
        its own (spoke-c, ...) gets spoke-a's settings under its name. Each spoke a fresh password."""
        config: dict[str, Any] = {"kubernetes.renderYamlToDirectory": str(self.render_dir(stack))}
        if stack != "hub" and not (self.project / f"Pulumi.{stack}.yaml").exists():
            config.update({"role": "spoke", "spoke": {"name": stack, "dataSize": "1Gi", "hub": qualified("hub")}})
        password = self.passwords.setdefault(stack, secrets.token_hex(16)) if stack != "hub" else None
        self.engine.init_stack(self.project, stack, config, secrets={"dbPassword": password} if password else None)

    def manifests(self, stack: str) -> list[dict[str, Any]]:
        """Every object the provider rendered for the stack (as `kubectl apply -f` would read them)."""
        objects: list[dict[str, Any]] = []
        for path in sorted(self.render_dir(stack).rglob("*.yaml")):
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
        return objects


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """Bootstrap in the documented order: hub (spokes pending), spokes (join the hub), hub (routes)."""
    engine = Engine(engine_bin_dir(), tmp_path_factory.mktemp("engine"))
    fed = Federation(engine, engine.copy_project(PROGRAM), {})
    for stack in ("hub", *SPOKES):
        fed.init(stack)
    fed.runs["hub-preview"] = engine.run(fed.project, "hub", "preview").stdout
    fed.runs["hub-rendered-after-preview"] = fed.manifests("hub")
    engine.run(fed.project, "hub", "up")
    fed.runs["hub-first"] = engine.outputs(fed.project, "hub")
    for stack in SPOKES:
        engine.run(fed.project, stack, "up")
        fed.runs[stack] = engine.outputs(fed.project, stack)
    fed.runs["hub-second"] = engine.run(fed.project, "hub", "up").stdout
    fed.runs["hub"] = engine.outputs(fed.project, "hub")
    yield fed


def test_preview_plans_without_applying(federation: Federation) -> None:
    preview = federation.runs["hub-preview"]
    assert "+ 7 to create" in preview, preview
    # The plugin is ambient and older than the SDK asks for: the engine says so (docs/real-engine.md).
    assert "resource plugin kubernetes is expected to have version >=4.34.2, but has 4.25.0" in preview
    assert federation.runs["hub-rendered-after-preview"] == []


def test_bootstrap_order_resolves_stack_references_through_the_backend(federation: Federation) -> None:
    first = federation.runs["hub-first"]
    assert first["routes"] == {} and first["pending"] == [qualified(s) for s in SPOKES]
    for stack in SPOKES:
        assert federation.runs[stack]["joinStatus"] == "joined engine.example.org"
    assert federation.runs["hub"]["routes"] == {qualified(s): f"db.{s}.svc:3306" for s in SPOKES}
    assert federation.runs["hub"]["pending"] == []
    routes = [m for m in federation.manifests("hub") if m["kind"] == "ConfigMap"]
    assert [json.loads(m["data"]["routes.json"]) for m in routes] == [federation.runs["hub"]["routes"]]


def test_up_renders_every_object_of_the_stack(federation: Federation) -> None:
    kinds = sorted(m["kind"] for m in federation.manifests("spoke-a"))
    assert kinds == ["Namespace", "Secret", "Service", "StatefulSet"]
    statefulset = next(m for m in federation.manifests("spoke-a") if m["kind"] == "StatefulSet")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    types = [r["type"] for r in federation.engine.resources(federation.project, "spoke-a")]
    assert "pulumi:providers:kubernetes" in types and "fate:kubernetes:Module" in types


def test_second_up_reports_no_changes(federation: Federation) -> None:
    again = federation.engine.run(federation.project, "spoke-a", "up", "--expect-no-changes")
    assert re.search(r"\b7 unchanged", again.stdout), again.stdout


def test_refresh_in_render_mode_is_refused_and_changes_nothing(federation: Federation) -> None:
    """Render mode has no cluster to read: the kubernetes provider (4.25) refuses to refresh its objects
    with a clear message, and the state stays as `up` left it (FateJob refresh: test_engine_fatejob.py)."""
    engine, project = federation.engine, federation.project
    before = resource_states(engine.resources(project, "hub"))
    refreshed = engine.run(project, "hub", "refresh", check=False)
    assert refreshed.returncode != 0
    assert "failed to read resource state due to unreachable cluster" in refreshed.stdout + refreshed.stderr
    assert resource_states(engine.resources(project, "hub")) == before
    assert len(before) == 5  # the provider, the Namespace and the gateway's three objects


def test_a_spoke_added_at_the_hub_updates_one_configmap_in_place(federation: Federation) -> None:
    engine, project = federation.engine, federation.project
    federation.init("spoke-c")
    engine.run(project, "spoke-c", "up")
    spokes = [{"stack": qualified(s)} for s in (*SPOKES, "spoke-c")]
    engine.set_config(project, "hub", "hub.spokes", spokes)
    try:
        steps = engine.preview_steps(project, "hub")
    finally:
        engine.set_config(project, "hub", "hub.spokes", spokes[:2])
    changes = [s for s in steps if s["op"] not in ("read",)]
    assert [(s["op"], s["newState"]["type"]) for s in changes] == [("update", "kubernetes:core/v1:ConfigMap")], steps
    old, new = changes[0]["oldState"]["inputs"], changes[0]["newState"]["inputs"]
    assert {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)} == {"data"}
    assert json.loads(new["data"]["routes.json"])[qualified("spoke-c")] == "db.spoke-c.svc:3306"
    reads = [s for s in steps if s["op"] == "read"]
    # every run re-reads each referenced stack (a read step, nothing applied)
    assert sorted(s["newState"]["inputs"]["name"] for s in reads) == [qualified(s) for s in (*SPOKES, "spoke-c")]


def test_a_volume_size_change_replaces_only_the_statefulset(federation: Federation) -> None:
    engine, project = federation.engine, federation.project
    engine.set_config(project, "spoke-a", "spoke.dataSize", "3Gi")
    try:
        steps = engine.preview_steps(project, "spoke-a")
    finally:
        engine.set_config(project, "spoke-a", "spoke.dataSize", "1Gi")
    steps = [s for s in steps if s["op"] != "read"]  # the StackReference to the hub is read each run
    assert {s["urn"].rsplit("::", 1)[-1] for s in steps} == {"db"}, steps
    assert {s["op"] for s in steps} <= {"replace", "create-replacement", "delete-replaced"}
    assert any(s["op"] == "replace" for s in steps)
    replace = next(s for s in steps if s["op"] == "replace")
    assert replace["newState"]["type"] == "kubernetes:apps/v1:StatefulSet"
    assert any("volumeClaimTemplates" in reason for reason in replace.get("replaceReasons", [])), replace


def test_secrets_stay_encrypted_in_state_and_outputs(federation: Federation) -> None:
    engine, project = federation.engine, federation.project
    password = federation.passwords["spoke-a"]
    plain = engine.outputs(project, "spoke-a")
    assert plain["dbPassword"] == "[secret]"
    assert engine.outputs(project, "spoke-a", show_secrets=True)["dbPassword"] == password
    encoded = base64.b64encode(password.encode()).decode()
    for stack in ("spoke-a", "hub"):  # the hub holds spoke-a's outputs in its StackReference
        state = engine.stack_file(stack).read_text()
        exported = json.dumps(engine.export(project, stack))
        for text in (state, exported):
            assert password not in text and encoded not in text
    assert "ciphertext" in engine.stack_file("spoke-a").read_text()
    # Only the Secret manifest holds it (the provider renders what a cluster would store).
    holders = [m["kind"] for m in federation.manifests("spoke-a") if password in json.dumps(m)
               or encoded in json.dumps(m)]
    assert holders == ["Secret"]


def test_destroy_keeps_what_the_program_retains(federation: Federation) -> None:
    engine, project = federation.engine, federation.project
    federation.init("spoke-d")
    engine.run(project, "spoke-d", "up")
    before = {m["kind"] for m in federation.manifests("spoke-d")}
    assert before == {"Namespace", "Secret", "Service", "StatefulSet"}
    destroyed = engine.run(project, "spoke-d", "destroy")
    assert "deleted" in destroyed.stdout
    assert engine.resources(project, "spoke-d") == []
    assert [m["kind"] for m in federation.manifests("spoke-d")] == ["Namespace"]
    assert by_type(engine.resources(project, "spoke-a"), "kubernetes:core/v1:Namespace")  # others untouched
