"""The users' CI workflow (.github/workflows/preview.yml): valid for GitHub Actions, and doing what
docs/operations.md says (tests, then `pulumi preview` per stack with pulumi/actions, commented on the
pull request, backend URL and passphrase from secrets).

Validity is checked against the GitHub workflow JSON Schema that check-jsonschema vendors (read as
YAML 1.2, as GitHub does: `on` stays a key, not a boolean).
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from fedctl.stackfiles import stack_names
from tests.support.pulumi_harness import PROJECT_DIR

WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "preview.yml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = importlib.resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "github-workflows.json"
    return jsonschema.Draft7Validator(json.loads(schema.read_text()))


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(WORKFLOW.read_text())))


def errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_workflow_matches_the_schema(validator: jsonschema.Draft7Validator, workflow: dict[str, Any]) -> None:
    assert errors(validator, workflow) == []


def test_schema_catches_mistakes(validator: jsonschema.Draft7Validator, workflow: dict[str, Any]) -> None:
    """The same check fails on the mistakes people make (so the test above can fail)."""
    broken = copy.deepcopy(workflow)
    del broken["jobs"]["preview"]["runs-on"]
    assert errors(validator, broken)
    broken = copy.deepcopy(workflow)
    broken["jobs"]["test"]["steps"][0] = {"uses": "actions/checkout@v4", "with": "ref"}
    assert errors(validator, broken)
    broken = copy.deepcopy(workflow)
    broken["on"] = {"pull_requests": {}}
    assert errors(validator, broken)


def test_tests_then_a_preview_per_stack(workflow: dict[str, Any]) -> None:
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"]["pull-requests"] == "write"
    test, preview = workflow["jobs"]["test"], workflow["jobs"]["preview"]
    assert any("pytest tests" in step.get("run", "") for step in test["steps"])
    assert preview["needs"] == "test"
    assert sorted(preview["strategy"]["matrix"]["stack"]) == stack_names(PROJECT_DIR)
    action = next(step for step in preview["steps"] if step.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["command"] == "preview"
    assert action["with"]["stack-name"] == "organization/fate-federation/${{ matrix.stack }}"
    assert action["with"]["comment-on-pr"] is True
    assert action["with"]["cloud-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert preview["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def test_secrets_never_inline_in_scripts(workflow: dict[str, Any]) -> None:
    """A secret expanded into a `run:` script ends up in the script text (and in injection bugs): pass it by env."""
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "secrets." not in step.get("run", ""), step
