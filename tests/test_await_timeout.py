"""`kubernetes.awaitTimeoutSeconds` in the rendered manifests: every Deployment and StatefulSet of every
stack (parties with KubeFATE, the exchange, the local stack) carries pulumi-kubernetes'
`pulumi.com/timeoutSeconds` with the configured value, and none does when it is unset (so the committed
`rendered/` snapshot stays as it was). The offline render runs the real program; test doubles: the Pulumi
engine and the API server (fedctl.mocks). That the provider honours the annotation on a real API server is
tests/test_engine_cluster.py's a_pod_that_never_becomes_ready test."""

from __future__ import annotations

from typing import Any

import pytest

from components.kube import AWAIT_TIMEOUT_ANNOTATION
from fedctl.render import Rendered, render_stacks
from fedctl.stackfiles import read_stack_config, stack_names
from tests.support.pulumi_harness import PROJECT_DIR

KUBERNETES = "fate-federation:kubernetes"
PARTY = "fate-federation:party"
WORKLOADS = ("Deployment", "StatefulSet")


def overrides(timeout: int | None) -> dict[str, dict[str, Any]]:
    """Each stack's own config with `kubernetes.awaitTimeoutSeconds` (when given) and KubeFATE on party-a."""
    result: dict[str, dict[str, Any]] = {}
    for stack in stack_names(PROJECT_DIR):
        values = read_stack_config(PROJECT_DIR, stack).values
        changed: dict[str, Any] = {}
        if timeout is not None:
            changed[KUBERNETES] = {**values.get(KUBERNETES, {}), "awaitTimeoutSeconds": timeout}
        if stack == "party-a":
            changed[PARTY] = {**values[PARTY], "kubefate": {"enabled": True}}
        result[stack] = changed
    return result


def workloads(rendered: list[Rendered]) -> dict[str, list[dict[str, Any]]]:
    return {r.stack: [o for kind in WORKLOADS for o in r.run.k8s_objects(kind)] for r in rendered}


@pytest.fixture(scope="module")
def with_timeout() -> dict[str, list[dict[str, Any]]]:
    return workloads(render_stacks(PROJECT_DIR, config_overrides=overrides(900)))


def test_every_workload_of_every_stack_carries_the_configured_timeout(
        with_timeout: dict[str, list[dict[str, Any]]]) -> None:
    assert set(with_timeout) == {"exchange", "party-a", "party-b", "local"}
    for stack, objects in with_timeout.items():
        assert objects, stack
        for workload in objects:
            annotations = workload["metadata"].get("annotations") or {}
            assert annotations.get(AWAIT_TIMEOUT_ANNOTATION) == "900", (stack, workload["metadata"]["name"])
    names = {w["metadata"]["name"] for w in with_timeout["party-a"]}
    assert {"kubefate", "mariadb"} <= names  # KubefateService's workloads too


def test_unset_leaves_every_workload_without_the_annotation() -> None:
    for stack, objects in workloads(render_stacks(PROJECT_DIR, config_overrides=overrides(None))).items():
        assert objects, stack
        for workload in objects:
            assert AWAIT_TIMEOUT_ANNOTATION not in (workload["metadata"].get("annotations") or {}), stack
