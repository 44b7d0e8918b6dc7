"""Why a failed `up` failed, in the words of the cluster: the pods of the failed workloads that are not Ready.

The kubernetes provider's await error names the workload ("'db' timed out waiting to be Ready ... 0 out
of 1 replicas succeeded readiness checks") but not its pods nor the reason the scheduler or the kubelet
gives. After an `up` fails, fedctl reads the stack's state (which workloads it holds, and which failed to
initialize) and asks the stack's own cluster (the context / kubeconfig its config names, as the
provider does) for those workloads' pods and claims, and appends one line per pod that is not Ready:

    pods not Ready (read from the cluster after the failure):
      spoke-stuck/db-0 (StatefulSet db): Pending, not scheduled: Unschedulable: 0/3 nodes are available: ...

`unready_pods_report` is the pure part (state resources, engine message, pods, claims -> text);
`read_pods_and_claims` reads them (stacks.cluster_api: the stack's own kubeconfig and context);
`explain_failed_up` ties them to an Automation API stack and
never raises (a diagnosis that cannot be made is said in one line, the engine's message stays first).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specs.common import KubernetesConfig
from stacks.cluster_api import core_api, read

WORKLOAD_TYPES = {
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:batch/v1:Job": "Job",
}


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str
    selector: Mapping[str, str]


def _workload(resource: Mapping[str, Any]) -> Workload | None:
    kind = WORKLOAD_TYPES.get(resource.get("type", ""))
    outputs = resource.get("outputs") or {}
    metadata = outputs.get("metadata") or {}
    labels = ((outputs.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if kind is None or not metadata.get("name") or not metadata.get("namespace"):
        return None
    return Workload(kind, metadata["namespace"], metadata["name"], dict(labels))


def failed_workloads(resources: Iterable[Mapping[str, Any]], message: str) -> list[Workload]:
    """The workloads of the stack's state that failed: those the engine recorded with initialization errors,
    and those the message names ('<name>'), in state order."""
    found: list[Workload] = []
    for resource in resources:
        workload = _workload(resource)
        if workload is None:
            continue
        if resource.get("initErrors") or f"'{workload.name}'" in message:
            if workload not in found:
                found.append(workload)
    return found


def _selected(pod: Mapping[str, Any], workload: Workload) -> bool:
    metadata = pod.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return (metadata.get("namespace") == workload.namespace and bool(workload.selector)
            and all(labels.get(key) == value for key, value in workload.selector.items()))


def _conditions(pod: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c.get("type", ""): c for c in (pod.get("status") or {}).get("conditions") or []}


def is_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Succeeded" or _conditions(pod).get("Ready", {}).get("status") == "True"


def _container_reasons(status: Mapping[str, Any]) -> list[str]:
    reasons: list[str] = []
    for kind in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(kind) or []:
            state = container.get("state") or {}
            name = container.get("name", "?")
            if "waiting" in state and (state["waiting"] or {}).get("reason"):
                waiting = state["waiting"]
                text = f"container {name} waiting: {waiting['reason']}"
                last = ((container.get("lastState") or {}).get("terminated") or {})
                if last.get("exitCode") is not None:
                    text += f" (last exit code {last['exitCode']})"
                reasons.append(text + (f": {waiting['message']}" if waiting.get("message") else ""))
            elif "terminated" in state and (state["terminated"] or {}).get("exitCode", 0) != 0:
                terminated = state["terminated"]
                reasons.append(f"container {name} terminated: {terminated.get('reason', '')} "
                               f"(exit code {terminated.get('exitCode')})")
            elif not container.get("ready") and "running" in state:
                reasons.append(f"container {name} running, not ready (readiness probe)")
    return reasons


def pod_reasons(pod: Mapping[str, Any], claims: Mapping[tuple[str, str], str]) -> list[str]:
    """Why a pod is not Ready, most telling first: not scheduled (the scheduler's reason and message),
    claims not bound, containers waiting (ImagePullBackOff, CrashLoopBackOff ...) or failing."""
    status = pod.get("status") or {}
    conditions = _conditions(pod)
    reasons: list[str] = []
    scheduled = conditions.get("PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        text = f"not scheduled: {scheduled.get('reason') or 'unknown reason'}"
        reasons.append(text + (f": {scheduled['message']}" if scheduled.get("message") else ""))
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim and claims.get((namespace, claim), "missing") != "Bound":
            reasons.append(f"claim {claim} {claims.get((namespace, claim), 'missing').lower()}")
    reasons.extend(_container_reasons(status))
    if not reasons:
        ready = conditions.get("Ready") or {}
        detail = ready.get("message") or ready.get("reason") or status.get("reason") or "no condition reported"
        reasons.append(detail)
    return reasons


def unready_pods_report(resources: Iterable[Mapping[str, Any]], message: str, pods: Sequence[Mapping[str, Any]],
                        claims: Sequence[Mapping[str, Any]]) -> str:
    """The pods of the failed workloads that are not Ready, one line each with the reasons; a workload with
    no pod at all is said too. "" when no workload failed."""
    workloads = failed_workloads(resources, message)
    if not workloads:
        return ""
    phases = {((c.get("metadata") or {}).get("namespace", ""), (c.get("metadata") or {}).get("name", "")):
              (c.get("status") or {}).get("phase", "Pending") for c in claims}
    lines: list[str] = []
    for workload in workloads:
        owned = sorted((p for p in pods if _selected(p, workload)), key=lambda p: p["metadata"]["name"])
        if not owned:
            lines.append(f"{workload.namespace}: {workload.kind} {workload.name} has no pod (`kubectl describe "
                         f"{workload.kind.lower()} {workload.name} -n {workload.namespace}` shows why: admission, "
                         "quota)")
        for pod in owned:
            if is_ready(pod):
                continue
            phase = (pod.get("status") or {}).get("phase", "Unknown")
            lines.append(f"{workload.namespace}/{pod['metadata']['name']} ({workload.kind} {workload.name}): "
                         f"{phase}, " + "; ".join(pod_reasons(pod, phases)))
    if not lines:
        return ""
    return "pods not Ready (read from the cluster after the failure):\n" + "\n".join(f"  {line}" for line in lines)


def stack_cluster(config: Mapping[str, Any], project: str) -> tuple[KubernetesConfig, str | None] | None:
    """From a stack's config (`<project>:key` -> value or ConfigValue; objects as JSON text, as the Automation
    API's get_all_config gives them): its `kubernetes` settings and secret `kubeconfig`, as the program reads
    them; None in render mode (no cluster)."""
    def value(key: str) -> Any:
        entry = config.get(f"{project}:{key}")
        return getattr(entry, "value", entry)

    raw = value("kubernetes")
    settings = KubernetesConfig.model_validate(json.loads(raw) if isinstance(raw, str) else (raw or {}))
    if settings.render_yaml_to_directory:
        return None
    return settings, value("kubeconfig")


def read_pods_and_claims(core: Any, namespaces: Iterable[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every pod and claim of these namespaces, as the API server returns them."""
    pods: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for namespace in sorted(set(namespaces)):
        pods += (read(core.list_namespaced_pod, namespace) or {}).get("items") or []
        claims += (read(core.list_namespaced_persistent_volume_claim, namespace) or {}).get("items") or []
    return pods, claims


def explain_failed_up(stack: Any, message: str, project_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """For an Automation API stack whose `up` failed with `message`: "\\n" + the unready pods report, or ""
    when no workload failed or the stack renders manifests. Never raises: a diagnosis that fails is one line."""
    try:
        resources = stack.export_stack().deployment.get("resources") or []
        workloads = failed_workloads(resources, message)
        if not workloads:
            return ""
        cluster = stack_cluster(stack.get_all_config(), stack.workspace.project_settings().name)
        if cluster is None:
            return ""
        core = core_api(*cluster, env=env, base_dir=project_dir)
        report = unready_pods_report(resources, message, *read_pods_and_claims(core, (w.namespace for w in workloads)))
        return f"\n{report}" if report else ""
    except Exception as error:  # noqa: BLE001 (the engine's message must still be reported)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"\n(could not read the failed workloads' pods from the cluster: {first})"
