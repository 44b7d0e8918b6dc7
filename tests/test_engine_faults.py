"""Faults under the real Pulumi engine: each gives a clear message and changes nothing.

A missing plugin (the repository's own stacks need tls and random, which the Go module proxy does not
serve: docs/real-engine.md; and the Python language host), a wrong passphrase, a StackReference to a
stack the backend does not have. Needs scripts/build-engine.sh's bin dir (FATE_FEDERATION_ENGINE_BIN);
skips without it except under `make test`/CI.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import REPO, Engine, engine_bin_dir

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"


def applied(resources: list[dict]) -> list[str]:
    """The objects a provider created (custom resources other than providers and stack references);
    components and the stack itself are only the program's grouping, recorded as it registers them."""
    return [r["urn"] for r in resources if r.get("custom") and not r["type"].startswith("pulumi:")]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield Engine(engine_bin_dir(), tmp_path_factory.mktemp("engine-faults"))


@pytest.fixture(scope="module")
def spoke(engine: Engine) -> tuple[Path, str]:
    """One deployed spoke (its hub stack exists, empty)."""
    project = engine.copy_project(PROGRAM)
    engine.init_stack(project, "hub")
    engine.init_stack(project, "spoke-a", {"kubernetes.renderYamlToDirectory": str(engine.root / "render-a")},
                      secrets={"dbPassword": "faults-test-password"})
    engine.run(project, "spoke-a", "up")
    return project, "spoke-a"


@pytest.fixture(scope="module")
def repository(engine: Engine) -> Path:
    """A copy of the repository's program and stack files, every stack initialised (as docs/federation.md
    says), each rendering into its own directory instead of naming a cluster."""
    project = engine.root / "repository"
    project.mkdir()
    for path in [REPO / "Pulumi.yaml", REPO / "__main__.py", *REPO.glob("Pulumi.*.yaml")]:
        shutil.copy(path, project / path.name)
    for path in sorted(project.glob("Pulumi.*.yaml")):
        stack = path.name.split(".")[1]
        engine.init_stack(project, stack)
        engine.cli(project, "config", "rm", "--stack", stack, "--path", "kubernetes.context", check=False)
        engine.set_config(project, stack, "kubernetes.renderYamlToDirectory", str(engine.root / f"render-{stack}"))
    return project


def test_the_python_runtime_needs_the_language_host(engine: Engine, spoke: tuple[Path, str]) -> None:
    """`pulumi preview` straight from Pulumi.yaml needs pulumi-language-python, which is not built here."""
    project, stack = spoke
    result = engine.cli(project, "preview", "--stack", stack, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "no language plugin 'pulumi-language-python' found" in output, output


@pytest.mark.parametrize("stack", ["exchange", "party-a", "local"])
def test_a_missing_resource_plugin_fails_clearly_and_applies_nothing(engine: Engine, repository: Path,
                                                                     stack: str) -> None:
    """The repository's stacks register tls/random resources; with automatic plugin acquisition off the
    engine names the plugin it lacks instead of downloading it."""
    project = repository
    result = engine.run(project, stack, "up", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    # whichever of the two the engine needs first (resources register concurrently)
    assert re.search(r"no resource plugin 'pulumi-resource-(tls|random)' found in the workspace at version "
                     r"v(5\.6\.2|4\.21\.4) or on your \$PATH", output), output
    assert applied(engine.resources(project, stack)) == [], "half-applied"


def test_a_wrong_passphrase_fails_clearly_and_changes_nothing(engine: Engine, spoke: tuple[Path, str]) -> None:
    project, stack = spoke
    state = engine.stack_file(stack).read_text()
    result = engine.run(project, stack, "up", check=False, env={"PULUMI_CONFIG_PASSPHRASE": "not-the-passphrase"})
    assert result.returncode != 0
    assert "passphrase" in (result.stdout + result.stderr).lower()
    assert engine.stack_file(stack).read_text() == state


def test_a_reference_to_a_missing_stack_fails_clearly_and_changes_nothing(engine: Engine,
                                                                          spoke: tuple[Path, str]) -> None:
    project, _ = spoke
    engine.set_config(project, "hub", "kubernetes.renderYamlToDirectory", str(engine.root / "render-hub"))
    engine.set_config(project, "hub", "hub.spokes", [{"stack": "organization/engine-federation/nowhere"}])
    result = engine.run(project, "hub", "up", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # The SDK mocks (and so the offline render) read a stack they do not know as one without outputs
    # (pending); the engine fails instead: every listed stack must exist (`pulumi stack init`) first.
    assert 'unknown stack "organization/engine-federation/nowhere"' in output, output
    assert applied(engine.resources(project, "hub")) == [], "half-applied"
