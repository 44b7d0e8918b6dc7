"""Bad input and faults of issue 10 on the embedded cluster, as users see them: the REAL engine and kubernetes
provider (file backend) run tests/fixtures/engine_program against a REAL API server, controllers and
scheduler; nodes and pods are SIMULATED by kwok (no container runs). The program stands in for the
repository's stacks (which need the tls and random plugins: docs/real-engine.md) and goes through the same
code: kube.Module, the explicit provider, the namespace owner check of stacks/namespaces.py.
Assertions are on the messages users read and on what `kubectl get` shows.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fedctl import cluster
from fedctl.automation import AutomationRunner, project_program
from fedctl.orchestrate import describe_failure, drive, read_federation
from tests.support.cluster import Cluster, require_cluster_bin, running_cluster
from tests.support.engine import REPO, Engine, engine_bin_dir
from tests.test_fedctl_engine import describe_fixture

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"
HUB = "organization/engine-federation/hub"
AWAIT_TIMEOUT_S = 20
ENGINE_MARGIN_S = 60
"""Engine, program and provider start-up, the failure's clean-up and the diagnosis around the await itself."""
UNSCHEDULABLE_CPU = "128"
"""More CPU than any simulated node has (fedctl.cluster.NODE_CAPACITY): the real scheduler never places it."""


@dataclass
class Setup:
    kube: Cluster
    engine: Engine
    project: Path

    def spoke(self, name: str, **settings: object) -> None:
        """A new spoke stack of the fixture program on the embedded cluster's default context."""
        self.engine.init_stack(self.project, name, {
            "kubernetes.context": cluster.DEFAULT_CONTEXT, "role": "spoke",
            "spoke": {"name": name, "dataSize": "1Gi", "hub": HUB, **settings}},
            secrets={"dbPassword": secrets.token_hex(12)})

    def fedctl_up(self, stack: str) -> tuple[bool, str, float]:
        """`fedctl up STACK` as the CLI drives it (orchestrator + Automation API runner, the program inline):
        (ok, the failure as the CLI prints it, seconds)."""
        runner = AutomationRunner(self.project, backend=f"file://{self.engine.backend}", env=self.engine.env(),
                                  program=project_program(self.project))
        started = time.monotonic()
        outcome = drive(read_federation(self.project, describe_fixture), runner, "up", [stack])
        return outcome.ok, "" if outcome.ok else describe_failure(outcome), time.monotonic() - started


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A cluster and an engine with the hub stack created (not deployed: its spokes read it as pending)."""
    require_cluster_bin()
    bin_dir = engine_bin_dir()
    with running_cluster(tmp_path_factory.mktemp("cluster")) as kube, pytest.MonkeyPatch.context() as env:
        # fedctl runs the program in its own process (inline): a user's KUBECONFIG is in its environment
        env.setenv("KUBECONFIG", str(kube.kubeconfig))
        engine = Engine(bin_dir, tmp_path_factory.mktemp("engine"), extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        project = engine.copy_project(PROGRAM)
        engine.init_stack(project, "hub", {"kubernetes.context": cluster.DEFAULT_CONTEXT})
        yield Setup(kube, engine, project)


def test_a_pod_that_never_becomes_ready_fails_up_naming_the_pod_and_the_scheduler_s_reason(setup: Setup) -> None:
    """`kubernetes.awaitTimeoutSeconds` 20: the StatefulSet's pod asks more CPU than any node has; `fedctl up`
    fails after the configured await, and its message adds, below the provider's (which names only the
    StatefulSet), the pod and the reason the real scheduler gave, read from the stack's own context."""
    setup.spoke("spoke-stuck", cpu=UNSCHEDULABLE_CPU)
    setup.engine.set_config(setup.project, "spoke-stuck", "kubernetes.awaitTimeoutSeconds", AWAIT_TIMEOUT_S)
    ok, failure, seconds = setup.fedctl_up("spoke-stuck")
    assert not ok
    assert AWAIT_TIMEOUT_S <= seconds <= AWAIT_TIMEOUT_S + ENGINE_MARGIN_S, (seconds, failure)
    assert "stack spoke-stuck, step up (round 1)" in failure
    assert "the failed up of spoke-stuck may have applied part of its changes" in failure  # it did: db-0 exists
    assert "'db' timed out waiting to be Ready" in failure, failure  # the provider's own words stay
    pod_line = next(line for line in failure.splitlines() if "spoke-stuck/db-0" in line)
    assert pod_line.strip().startswith("spoke-stuck/db-0 (StatefulSet db): Pending, not scheduled: Unschedulable: ")
    assert "Insufficient cpu" in pod_line, failure
    # what kubectl shows agrees
    condition = {c["type"]: c for c in setup.kube.get("pod", "db-0", "-n", "spoke-stuck")["status"]["conditions"]}
    assert condition["PodScheduled"]["message"] in pod_line


def _metadata(kube: Cluster, namespace: str) -> tuple[dict[str, str], dict[str, str]]:
    metadata = kube.get("namespace", namespace)["metadata"]
    return metadata.get("labels") or {}, metadata.get("annotations") or {}


def refused_in_preview_and_up(setup: Setup, stack: str, *expected: str) -> None:
    """`preview` and `up` of the stack both fail, saying every `expected` text, without a traceback."""
    for action in ("preview", "up"):
        refused = setup.engine.run(setup.project, stack, action, check=False)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0, output
        for text in expected:
            assert text in output, output
        assert "Traceback" not in output


def test_a_namespace_that_exists_with_another_owner_is_refused_before_anything_changes(setup: Setup) -> None:
    """Plain `pulumi up` (and `preview`) of a spoke whose namespace someone else created: the provider here
    (4.25.0) would adopt it silently (server-side apply upserts); the program reads it first and stops,
    naming the namespace, the config key and the fixes. The namespace keeps its labels and annotations and
    holds nothing of ours; the stack holds no cluster object. Marking it as ours (the message's second fix)
    lets the next `up` through."""
    kube, engine = setup.kube, setup.engine
    kube.kubectl("create", "namespace", "spoke-owned")
    kube.kubectl("label", "namespace", "spoke-owned", "team=someone-else")
    kube.kubectl("annotate", "namespace", "spoke-owned", "example.org/owner=someone-else")
    kube.kubectl("create", "configmap", "not-ours", "-n", "spoke-owned", "--from-literal=owner=someone-else")
    before = _metadata(kube, "spoke-owned")
    setup.spoke("spoke-owned")
    refused_in_preview_and_up(
        setup, "spoke-owned",
        ("engine-federation:spoke.name: the namespace spoke-owned already exists in context "
         f"{cluster.DEFAULT_CONTEXT} and it was not created by this program"),
        "pulumi config set --path spoke.name <name>",
        ("kubectl label namespace spoke-owned app.kubernetes.io/part-of=fate-federation "
         "app.kubernetes.io/instance=spoke-owned"))
    assert _metadata(kube, "spoke-owned") == before
    assert sorted(c["metadata"]["name"] for c in kube.get("configmaps", "-n", "spoke-owned")["items"]) == [
        "kube-root-ca.crt", "not-ours"]
    for kind in ("statefulsets", "services", "secrets", "networkpolicies"):
        assert kube.get(kind, "-n", "spoke-owned")["items"] == [], kind
    assert [r["type"] for r in engine.resources(setup.project, "spoke-owned")
            if r["type"].startswith("kubernetes:")] == []

    kube.kubectl("label", "namespace", "spoke-owned", "app.kubernetes.io/part-of=fate-federation",
                 "app.kubernetes.io/instance=spoke-owned")
    engine.run(setup.project, "spoke-owned", "up")
    assert kube.get("statefulset", "db", "-n", "spoke-owned")["status"].get("readyReplicas") == 1
    assert kube.get("configmap", "not-ours", "-n", "spoke-owned")["data"] == {"owner": "someone-else"}


def test_a_node_port_another_service_holds_is_refused_before_anything_changes(setup: Setup) -> None:
    """A NodePort Service of someone else holds 30443 (the API server refuses a second Service on it:
    "provided port is already allocated", which `up` would hit after the namespace and the workload were
    applied). The hub fixing 30443 (as exposure.nodePorts does for the stacks) stops in `preview` and `up`
    before anything is created, naming its key, the holder and the fix; with a free port it converges,
    and its own Service keeps the port on the next run."""
    kube, engine = setup.kube, setup.engine
    kube.kubectl("create", "namespace", "someone-else")
    kube.kubectl("create", "service", "nodeport", "theirs", "--tcp=443:443", "--node-port=30443", "-n", "someone-else")
    clash = kube.kubectl("create", "service", "nodeport", "second", "--tcp=443:443", "--node-port=30443",
                         "-n", "someone-else", check=False)
    assert "provided port is already allocated" in clash.stderr  # what the API server says on its own
    engine.init_stack(setup.project, "hub-np", {
        "kubernetes.context": cluster.DEFAULT_CONTEXT,
        "role": "hub", "hub": {"domain": "np.example.org", "namespace": "hub-np", "nodePort": 30443}})
    refused_in_preview_and_up(
        setup, "hub-np",
        ("engine-federation:hub.nodePort: node port 30443 is already allocated to the Service "
         f"someone-else/theirs in context {cluster.DEFAULT_CONTEXT}"),
        "pulumi config set --path hub.nodePort <port>")
    assert kube.kubectl("get", "namespace", "hub-np", check=False).returncode != 0
    assert [r["type"] for r in engine.resources(setup.project, "hub-np") if r["type"].startswith("kubernetes:")] == []

    engine.set_config(setup.project, "hub-np", "hub.nodePort", 30444)
    engine.run(setup.project, "hub-np", "up")
    ports = kube.get("service", "gateway-public", "-n", "hub-np")["spec"]["ports"]
    assert [(p["name"], p["nodePort"]) for p in ports] == [("https", 30444)]
    engine.run(setup.project, "hub-np", "up", "--expect-no-changes")
