"""fedctl.diagnose's pure part: which workloads of a stack's state failed, and why their pods are not Ready,
from objects shaped as the API server returns them (the whole, against the embedded cluster's real
scheduler: tests/test_cluster_faults.py)."""

from __future__ import annotations

from typing import Any

from fedctl.diagnose import failed_workloads, pod_reasons, stack_cluster, unready_pods_report

SELECTOR = {"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "spoke"}


def statefulset(name: str = "db", namespace: str = "spoke", *, failed: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "type": "kubernetes:apps/v1:StatefulSet",
        "outputs": {"metadata": {"name": name, "namespace": namespace},
                    "spec": {"selector": {"matchLabels": SELECTOR}}},
    }
    if failed:
        resource["initErrors"] = [f"'{name}' timed out waiting to be Ready"]
    return resource


def pod(name: str, *, namespace: str = "spoke", labels: dict[str, str] | None = None, phase: str = "Pending",
        conditions: list[dict[str, Any]] | None = None, containers: list[dict[str, Any]] | None = None,
        claims: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": SELECTOR if labels is None else labels},
        "spec": {"volumes": [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims]},
        "status": {"phase": phase, "conditions": conditions or [], "containerStatuses": containers or []},
    }


UNSCHEDULABLE = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                            "3 No preemption victims found for incoming pod."}
READY = {"type": "Ready", "status": "True"}
NOT_READY = {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
             "message": "containers with unready status: [db]"}


def test_the_failed_workloads_are_those_with_init_errors_or_named_in_the_message() -> None:
    resources = [statefulset("db", failed=True), statefulset("cache"), statefulset("web", "other"),
                 {"type": "kubernetes:core/v1:ConfigMap", "outputs": {"metadata": {"name": "db", "namespace": "spoke"}}}]
    assert [w.name for w in failed_workloads(resources, "error: update failed")] == ["db"]
    assert [w.name for w in failed_workloads(resources, "'web' timed out waiting to be Ready")] == ["db", "web"]
    assert failed_workloads([statefulset("db")], "error: connection refused") == []


def test_an_unschedulable_pod_is_named_with_the_scheduler_s_reason() -> None:
    report = unready_pods_report([statefulset(failed=True)], "", [pod("db-0", conditions=[UNSCHEDULABLE])], [])
    assert report.splitlines() == [
        "pods not Ready (read from the cluster after the failure):",
        "  spoke/db-0 (StatefulSet db): Pending, not scheduled: Unschedulable: 0/3 nodes are available: "
        "3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."]


def test_container_waiting_reasons_and_the_last_exit_code() -> None:
    crashing = pod("db-0", phase="Running", conditions=[NOT_READY], containers=[{
        "name": "db", "ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}])
    pulling = pod("db-1", conditions=[NOT_READY], containers=[{
        "name": "db", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff",
                                                            "message": "Back-off pulling image \"mysql:8.0\""}}}])
    assert pod_reasons(crashing, {}) == ["container db waiting: CrashLoopBackOff (last exit code 1): back-off 5m0s"]
    report = unready_pods_report([statefulset(failed=True)], "", [pulling, crashing], [])
    assert "spoke/db-0 (StatefulSet db): Running, container db waiting: CrashLoopBackOff" in report
    assert "spoke/db-1 (StatefulSet db): Pending, container db waiting: ImagePullBackOff: Back-off pulling" in report


def test_a_pending_claim_and_a_failing_readiness_probe() -> None:
    claims = [{"metadata": {"name": "data-db-0", "namespace": "spoke"}, "status": {"phase": "Pending"}}]
    waiting = pod("db-0", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                       "message": "pod has unbound immediate PersistentVolumeClaims"}],
                  claims=("data-db-0",))
    probing = pod("db-1", phase="Running", conditions=[NOT_READY],
                  containers=[{"name": "db", "ready": False, "state": {"running": {}}}])
    report = unready_pods_report([statefulset(failed=True)], "", [waiting, probing], claims)
    assert ("spoke/db-0 (StatefulSet db): Pending, not scheduled: Unschedulable: pod has unbound immediate "
            "PersistentVolumeClaims; claim data-db-0 pending") in report
    assert "spoke/db-1 (StatefulSet db): Running, container db running, not ready (readiness probe)" in report


def test_ready_pods_other_workloads_pods_and_other_namespaces_are_left_out() -> None:
    pods = [pod("db-0", phase="Running", conditions=[READY]),
            pod("db-1", conditions=[UNSCHEDULABLE]),
            pod("cache-0", labels={"app.kubernetes.io/name": "cache"}, conditions=[UNSCHEDULABLE]),
            pod("db-0", namespace="elsewhere", conditions=[UNSCHEDULABLE])]
    lines = unready_pods_report([statefulset(failed=True)], "", pods, []).splitlines()[1:]
    assert [line.split(" ", 3)[2] for line in lines] == ["spoke/db-1"]
    # every pod Ready (the failure was something else): nothing to add
    assert unready_pods_report([statefulset(failed=True)], "", [pods[0]], []) == ""


def test_a_workload_without_any_pod_is_said() -> None:
    report = unready_pods_report([statefulset(failed=True)], "", [], [])
    assert "spoke: StatefulSet db has no pod (`kubectl describe statefulset db -n spoke` shows why" in report


def test_the_cluster_is_the_one_the_stack_config_names() -> None:
    project = "fate-federation"
    config, text = stack_cluster({f"{project}:kubernetes": '{"context": "party-a"}'}, project)
    assert (config.context, config.kubeconfig_path, text) == ("party-a", None, None)
    config, text = stack_cluster({f"{project}:kubernetes": '{"kubeconfigPath": "kube/config"}',
                                  f"{project}:kubeconfig": "apiVersion: v1"}, project)
    assert (config.context, config.kubeconfig_path, text) == (None, "kube/config", "apiVersion: v1")
    config, text = stack_cluster({}, project)  # the ambient kubeconfig, as the provider
    assert (config.context, config.kubeconfig_path, text) == (None, None, None)
    assert stack_cluster({f"{project}:kubernetes": '{"renderYamlToDirectory": "out"}'}, project) is None
