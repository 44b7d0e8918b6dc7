"""Every object the repository's stacks deploy, sent to a REAL API server (the embedded cluster).

The objects come from the offline render (the session's `rendered_federation`: the real program under
the SDK's mocks; tests/test_engine_repository_stacks.py deploys the same stacks through the real engine).
They are applied with `kubectl apply --server-side`, so the real
kube-apiserver validates, defaults and admits them (Pod Security on the namespaces' labels, RBAC); the real
controller manager and scheduler create and place the pods; nodes and pods are SIMULATED by kwok (no FATE
image runs). Assertions are on what `kubectl get` shows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fedctl.render import Rendered
from tests.support.cluster import Cluster, running_cluster, wait_for

WORKLOADS = ("Deployment", "StatefulSet")


@pytest.fixture(scope="module")
def rendered(rendered_federation: dict[str, Rendered]) -> dict[str, list[dict[str, Any]]]:
    """Each stack's objects with their real secret values (the API server decodes Secret data)."""
    return {stack: item.run.k8s_objects(show_secrets=True) for stack, item in rendered_federation.items()}


def as_list(objects: list[dict[str, Any]]) -> str:
    """The objects as one JSON List for kubectl: JSON keeps every string a string (PyYAML leaves a hex
    checksum such as 8647039e15 unquoted, which kubectl's YAML reads as a number)."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})


def _apply(kube: Cluster, objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """Namespaces first (the rest lives in them), then everything, as one server-side apply each."""
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    rest = [o for o in objects if o["kind"] != "Namespace"]
    kube.kubectl("apply", "--server-side", "-f", "-", input_text=as_list(namespaces))
    for namespace in namespaces:
        name = namespace["metadata"]["name"]
        wait_for(f"{name}/default ServiceAccount", lambda n=name: kube.kubectl(
            "get", "serviceaccount", "default", "-n", n, check=False).returncode == 0)
    return kube.kubectl("apply", "--server-side", "-f", "-", input_text=as_list(rest), check=False,
                        timeout=120)


def _check_converges(kube: Cluster, objects: list[dict[str, Any]]) -> None:
    applied = _apply(kube, objects)
    assert applied.returncode == 0, f"the API server refused:\n{applied.stderr}"
    # The namespaces warn at `restricted` (kubectl prints those warnings); nothing violates what they enforce.
    assert 'violate PodSecurity "baseline' not in applied.stderr, applied.stderr

    # Every namespace enforces the Pod Security level the program gives it, and the API server says so.
    for namespace in (o for o in objects if o["kind"] == "Namespace"):
        labels = kube.get("namespace", namespace["metadata"]["name"])["metadata"]["labels"]
        assert labels.get("pod-security.kubernetes.io/enforce") in ("baseline", "restricted"), labels

    # Every workload rolls out: the real controllers create pods, the scheduler places them, kwok readies them.
    for workload in (o for o in objects if o["kind"] in WORKLOADS):
        meta = workload["metadata"]
        kube.kubectl("rollout", "status", f"{workload['kind'].lower()}/{meta['name']}", "-n", meta["namespace"],
                     "--timeout=90s", timeout=120)
    for namespace in {o["metadata"]["namespace"] for o in objects if o["kind"] in WORKLOADS}:
        pods = kube.get("pods", "-n", namespace)["items"]
        assert pods
        not_ready = [p["metadata"]["name"] for p in pods
                     if {c["type"]: c["status"] for c in p["status"].get("conditions", [])}.get("Ready") != "True"]
        assert not_ready == [], f"{namespace}: {not_ready}"

    for service in (o for o in objects if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer"):
        meta = service["metadata"]
        wait_for(f"{meta['namespace']}/{meta['name']} address", lambda m=meta: kube.get(
            "service", m["name"], "-n", m["namespace"])["status"].get("loadBalancer", {}).get("ingress"))
    for namespace in {o["metadata"]["namespace"] for o in objects if o["kind"] == "StatefulSet"}:
        claims = kube.get("pvc", "-n", namespace)["items"]
        for claim in claims:
            wait_for(f"claim {claim['metadata']['name']} bound", lambda c=claim, n=namespace: kube.get(
                "pvc", c["metadata"]["name"], "-n", n)["status"].get("phase") == "Bound")

    # What the API server stored is what the program declared: a second apply would change nothing.
    diff = kube.kubectl("diff", "--server-side", "-f", "-", input_text=as_list(objects), check=False,
                        timeout=120)
    assert diff.returncode == 0, diff.stdout + diff.stderr


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(tmp_path / "cluster") as started:
        yield started


def test_the_federation_stacks_are_accepted_and_converge(kube: Cluster, rendered: dict[str, list[dict[str, Any]]]
                                                           ) -> None:
    """exchange, party-a and party-b in one API server (their contexts all point at it), distinct namespaces."""
    objects = rendered["exchange"] + rendered["party-a"] + rendered["party-b"]
    _check_converges(kube, objects)
    services = kube.get("services", "-n", "fate-10000")["items"]
    assert any(s["spec"]["type"] == "NodePort" for s in services)  # party-b's exposure


def test_the_local_stack_is_accepted_and_converges(kube: Cluster, rendered: dict[str, list[dict[str, Any]]]) -> None:
    _check_converges(kube, rendered["local"])

