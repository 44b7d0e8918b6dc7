"""The REAL `pulumi up` (engine + kubernetes provider plugin, file backend) against a REAL API server.

The program is tests/fixtures/engine_program (a hub like the exchange, spokes like parties, built from the
program's own kube.Module and explicit provider): the repository's own stacks need the tls and random
resource plugins, which cannot be built here (docs/real-engine.md), so they cannot run through the real
engine. Here the provider is NOT in render mode: it talks to the embedded cluster through the kubeconfig
contexts the cluster writes, and awaits real status. Nodes and pods are SIMULATED by kwok (no container
runs); the API server, controllers and scheduler are real. Assertions are on what `kubectl get` shows.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fedctl import cluster
from tests.support.cluster import Cluster, require_cluster_bin, running_cluster, wait_for
from tests.support.engine import REPO, Engine, engine_bin_dir

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"
SPOKES = ("spoke-a", "spoke-b")
CONTEXT = {"hub": "exchange", "spoke-a": "party-a", "spoke-b": "party-b"}
"""Each stack names its cluster by context, as the repository's stacks do; all point at one API server."""


@dataclass
class Deployed:
    kube: Cluster
    engine: Engine
    project: Path

    def init(self, stack: str, context: str | None = None, **spoke: object) -> None:
        """The shipped stack file's config (hub, spoke-a, spoke-b) or a new spoke's (with `spoke` settings
        added), plus its cluster context."""
        settings: dict[str, object] = {"kubernetes.context": context or CONTEXT.get(stack, cluster.DEFAULT_CONTEXT)}
        if not (self.project / f"Pulumi.{stack}.yaml").exists():
            settings.update({"role": "spoke", "spoke": {"name": stack, "dataSize": "1Gi",
                                                        "hub": "organization/engine-federation/hub", **spoke}})
        self.engine.init_stack(self.project, stack, settings,
                               secrets=None if stack == "hub" else {"dbPassword": secrets.token_hex(12)})

    def up(self, stack: str, *flags: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.engine.run(self.project, stack, "up", *flags, check=check)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """Bootstrap order: hub (spokes pending), each spoke (joins), hub again (routes)."""
    require_cluster_bin()
    bin_dir = engine_bin_dir()
    with running_cluster(tmp_path_factory.mktemp("cluster")) as kube:
        engine = Engine(bin_dir, tmp_path_factory.mktemp("engine"), extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        project = engine.copy_project(PROGRAM)
        result = Deployed(kube, engine, project)
        for stack in ("hub", *SPOKES):
            result.init(stack)
        for stack in ("hub", *SPOKES, "hub"):
            result.up(stack)
        yield result


def _ready(kube: Cluster, namespace: str) -> list[str]:
    return [p["metadata"]["name"] for p in kube.get("pods", "-n", namespace)["items"]
            if {c["type"]: c["status"] for c in p["status"].get("conditions", [])}.get("Ready") == "True"]


def test_up_creates_every_object_in_the_api_server_and_pods_become_ready(deployed: Deployed) -> None:
    kube = deployed.kube
    for namespace in ("engine-hub", *SPOKES):
        assert kube.get("namespace", namespace)["status"]["phase"] == "Active"
    for spoke in SPOKES:
        statefulset = kube.get("statefulset", "db", "-n", spoke)
        assert statefulset["status"].get("readyReplicas") == 1  # the provider awaited this
        assert _ready(kube, spoke) == ["db-0"]
        claim = kube.get("pvc", "data-db-0", "-n", spoke)
        assert claim["status"]["phase"] == "Bound"
    routes = kube.get("configmap", "-n", "engine-hub")["items"]
    assert any("spoke-a" in json_text and "spoke-b" in json_text
               for json_text in (str(c.get("data")) for c in routes))
    assert _ready(kube, "engine-hub")


def test_a_second_up_and_a_refresh_change_nothing(deployed: Deployed) -> None:
    again = deployed.up("spoke-a", "--expect-no-changes")
    assert "unchanged" in again.stdout
    refreshed = deployed.engine.run(deployed.project, "hub", "refresh", "--expect-no-changes")
    assert "unchanged" in refreshed.stdout


SIZE_KEY = "engine-federation:spoke.dataSize"


@dataclass(frozen=True)
class Seen:
    """What `kubectl get` shows of a spoke's database, and what its stack's state holds."""

    statefulset_uid: str
    statefulset_generation: int
    template_size: str
    pod_uid: str
    claim_uid: str
    claim_request: str
    state: list[tuple[str, str]]


SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""How the state marks a secret value; its ciphertext gets a new nonce each time the state is written."""


def _masked(value: Any) -> Any:
    """State outputs with each secret's ciphertext replaced by a marker (the plaintexts are the same)."""
    if isinstance(value, dict):
        return "[secret]" if SECRET_SIGNATURE in value else {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _seen(deployed: Deployed, spoke: str) -> Seen:
    kube = deployed.kube
    statefulset = kube.get("statefulset", "db", "-n", spoke)
    claim = kube.get("pvc", "data-db-0", "-n", spoke)
    return Seen(
        statefulset["metadata"]["uid"], statefulset["metadata"]["generation"],
        statefulset["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        kube.get("pod", "db-0", "-n", spoke)["metadata"]["uid"],
        claim["metadata"]["uid"], claim["spec"]["resources"]["requests"]["storage"],
        sorted((r["urn"], json.dumps(_masked(r.get("outputs")), sort_keys=True))
               for r in deployed.engine.resources(deployed.project, spoke)))


def _allow_expansion(kube: Cluster, allowed: bool) -> None:
    kube.kubectl("patch", "storageclass", cluster.STORAGE_CLASS, "-p", json.dumps({"allowVolumeExpansion": allowed}))


def test_a_growth_the_storage_class_does_not_allow_fails_before_anything_changes(deployed: Deployed) -> None:
    """The embedded cluster's class (like many) has no allowVolumeExpansion: the API server's
    PersistentVolumeClaimResize admission would refuse the claim's patch. The program reads the claim and
    its class first and stops naming the size key, the class and the fix; nothing in the cluster or in
    the stack's state changed."""
    kube = deployed.kube
    _allow_expansion(kube, False)
    before = _seen(deployed, "spoke-a")
    assert before.claim_request == "1Gi"
    deployed.engine.set_config(deployed.project, "spoke-a", "spoke.dataSize", "2Gi")
    try:
        failed = deployed.up("spoke-a", check=False)
    finally:
        deployed.engine.set_config(deployed.project, "spoke-a", "spoke.dataSize", "1Gi")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert f"{SIZE_KEY} is 2Gi, but the volume claim spoke-a/data-db-0 requests 1Gi" in output, output
    assert f"its StorageClass {cluster.STORAGE_CLASS} does not allow volume expansion" in output, output
    assert f"kubectl patch storageclass {cluster.STORAGE_CLASS}" in output, output
    assert _seen(deployed, "spoke-a") == before


def test_a_size_growth_resizes_the_claim_in_place(deployed: Deployed) -> None:
    """1Gi -> 2Gi with a class that allows expansion: `up` patches the claim (server-side apply of its
    storage request) instead of replacing the StatefulSet (volumeClaimTemplates are immutable, their size
    is fixed at creation): the StatefulSet keeps its uid and generation and the pod is not rolled. The
    claim's status.capacity is the volume driver's to raise; kwok's simulated volumes have no resizer, so
    only the request is asserted (docs/operations.md)."""
    kube = deployed.kube
    _allow_expansion(kube, True)
    before = _seen(deployed, "spoke-a")
    deployed.engine.set_config(deployed.project, "spoke-a", "spoke.dataSize", "2Gi")
    steps = [s for s in deployed.engine.preview_steps(deployed.project, "spoke-a") if s["op"] != "read"]
    assert [(s["op"], s["newState"]["type"]) for s in steps] == [
        ("update", "kubernetes:core/v1:PersistentVolumeClaimPatch")], steps
    grown = deployed.up("spoke-a")
    assert "replaced" not in grown.stdout, grown.stdout
    after = _seen(deployed, "spoke-a")
    assert after.claim_request == "2Gi"
    assert (after.claim_uid, after.statefulset_uid, after.statefulset_generation, after.pod_uid) == (
        before.claim_uid, before.statefulset_uid, before.statefulset_generation, before.pod_uid)
    assert after.template_size == "1Gi"  # what a new replica's claim starts with, before its patch
    assert _ready(kube, "spoke-a") == ["db-0"]
    deployed.up("spoke-a", "--expect-no-changes")


def test_a_shrink_fails_before_anything_changes(deployed: Deployed) -> None:
    """Kubernetes never shrinks a claim: `up` (and `preview`) stop naming the size key and the smallest
    size, before any resource is registered; the claim and the state are as they were."""
    before = _seen(deployed, "spoke-a")
    assert before.claim_request == "2Gi"
    deployed.engine.set_config(deployed.project, "spoke-a", "spoke.dataSize", "1Gi")
    try:
        failed = deployed.up("spoke-a", check=False)
        previewed = deployed.engine.run(deployed.project, "spoke-a", "preview", check=False)
    finally:
        deployed.engine.set_config(deployed.project, "spoke-a", "spoke.dataSize", "2Gi")
    for result in (failed, previewed):
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert (f"{SIZE_KEY} is 1Gi, but the volume claim spoke-a/data-db-0 already requests 2Gi and Kubernetes "
                f"cannot shrink a volume: set {SIZE_KEY} to 2Gi or more") in output, output
    assert _seen(deployed, "spoke-a") == before
    deployed.up("spoke-a", "--expect-no-changes")


def test_the_api_server_down_fails_up_clearly_and_the_next_up_converges(deployed: Deployed) -> None:
    """With the control plane stopped, `up` fails with the connection error; once it is started again on
    its data, the same `up` converges. (Stopped while the provider awaits a pod, the provider keeps
    retrying until its await timeout instead: docs/embedded-cluster.md.)"""
    kube = deployed.kube
    deployed.init("spoke-c")
    cluster.stop(kube.directory)
    try:
        failed = deployed.up("spoke-c", check=False)
    finally:
        cluster.start(kube.directory, kube.bin_dir)
    assert failed.returncode != 0
    assert "connection refused" in (failed.stdout + failed.stderr).lower(), failed.stdout + failed.stderr
    deployed.up("spoke-c")
    assert _ready(kube, "spoke-c") == ["db-0"]
    deployed.up("spoke-c", "--expect-no-changes")


AWAIT_TIMEOUT_S = 20
ENGINE_MARGIN_S = 60
"""Engine, program and provider start-up and the failure's clean-up around the await itself."""
UNSCHEDULABLE_CPU = "128"
"""More CPU than any simulated node has (fedctl.cluster.NODE_CAPACITY): the real scheduler never places it."""


def _up_that_times_out(deployed: Deployed, stack: str, workload: str) -> None:
    """`up` fails after the configured await, not the provider's 10 minutes, naming the workload; the
    annotation is on the object in the API server."""
    started = time.monotonic()
    failed = deployed.up(stack, check=False)
    elapsed = time.monotonic() - started
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert AWAIT_TIMEOUT_S <= elapsed <= AWAIT_TIMEOUT_S + ENGINE_MARGIN_S, (elapsed, output)
    assert f"'{workload}' timed out waiting to be Ready" in output, output


def _unschedulable(kube: Cluster, namespace: str) -> list[str]:
    """The namespace's pods the real scheduler left Pending as Unschedulable."""
    return [p["metadata"]["name"] for p in kube.get("pods", "-n", namespace)["items"]
            if p["status"]["phase"] == "Pending"
            and {c["type"]: c.get("reason") for c in p["status"].get("conditions", [])}.get("PodScheduled")
            == "Unschedulable"]


def test_a_statefulset_that_never_becomes_ready_fails_up_within_the_configured_timeout(deployed: Deployed) -> None:
    """`kubernetes.awaitTimeoutSeconds` reaches the workload (pulumi.com/timeoutSeconds): a pod asking more
    CPU than any simulated node has stays Pending, and `up` fails after the configured 20 s. The provider's
    message (plugin 4.25) names the StatefulSet and "0 out of 1 replicas succeeded readiness checks", not the
    pod nor the scheduler's reason: those are what `kubectl get pods` shows (docs/configuration.md)."""
    kube = deployed.kube
    deployed.init("spoke-stuck", cpu=UNSCHEDULABLE_CPU)
    deployed.engine.set_config(deployed.project, "spoke-stuck", "kubernetes.awaitTimeoutSeconds", AWAIT_TIMEOUT_S)
    _up_that_times_out(deployed, "spoke-stuck", "db")
    statefulset = kube.get("statefulset", "db", "-n", "spoke-stuck")
    assert statefulset["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == str(AWAIT_TIMEOUT_S)
    assert _unschedulable(kube, "spoke-stuck") == ["db-0"]


def test_a_deployment_that_never_becomes_ready_fails_up_within_the_configured_timeout(deployed: Deployed) -> None:
    """The same through the Deployment awaiter (the hub's gateway), whose message adds the Deployment's
    own condition (MinimumReplicasUnavailable)."""
    kube = deployed.kube
    deployed.engine.init_stack(deployed.project, "hub-stuck", {
        "kubernetes.context": cluster.DEFAULT_CONTEXT, "kubernetes.awaitTimeoutSeconds": AWAIT_TIMEOUT_S,
        "role": "hub", "hub": {"domain": "stuck.example.org", "namespace": "hub-stuck", "cpu": UNSCHEDULABLE_CPU}})
    _up_that_times_out(deployed, "hub-stuck", "gateway")
    deployment = kube.get("deployment", "gateway", "-n", "hub-stuck")
    assert deployment["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == str(AWAIT_TIMEOUT_S)
    assert [name.rsplit("-", 2)[0] for name in _unschedulable(kube, "hub-stuck")] == ["gateway"]


def test_destroy_leaves_the_retained_namespace_and_the_claims(deployed: Deployed) -> None:
    kube = deployed.kube
    destroyed = deployed.engine.run(deployed.project, "spoke-a", "destroy")
    assert "deleted" in destroyed.stdout
    assert deployed.engine.resources(deployed.project, "spoke-a") == []
    assert kube.get("namespace", "spoke-a")["metadata"]["name"] == "spoke-a"  # retain_on_delete
    assert kube.get("pvc", "data-db-0", "-n", "spoke-a")["status"]["phase"] == "Bound"
    wait_for("spoke-a's pods gone", lambda: kube.get("pods", "-n", "spoke-a")["items"] == [])
    assert kube.kubectl("get", "statefulset", "db", "-n", "spoke-a", check=False).returncode != 0
