"""The Kubernetes workload of a FATE module: probes, the security baseline, config files, volumes.

`Module` turns a `ModuleSpec` into its config objects, its Deployment or StatefulSet and its in-cluster
Service, so components only say what is specific to them. Labels and sizing presets are facts
(facts.labels, facts.sizing); Services other parties reach are in components.exposure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from facts.labels import CONFIG_CHECKSUM_ANNOTATION, labels, selector
from facts.paths import ConfigFile
from facts.sizing import Sizing, resources

AWAIT_TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds"
"""pulumi-kubernetes reads this annotation as how many seconds to await a workload's readiness on create
and update (instead of its 10-minute default); the failure then names the pods and why they are not ready."""

# --- probes and security -------------------------------------------------------------------------


def tcp_probe(port: int, initial_delay: int = 10, period: int = 10, failures: int = 6) -> dict[str, Any]:
    return {
        "tcp_socket": {"port": port},
        "initial_delay_seconds": initial_delay,
        "period_seconds": period,
        "failure_threshold": failures,
        "timeout_seconds": 5,
    }


def tcp_checks(port: int, ready_after: int = 10, live_after: int = 60) -> dict[str, Any]:
    """Readiness and liveness on one TCP port: the ModuleSpec fields most modules share."""
    return {"readiness": tcp_probe(port, initial_delay=ready_after), "liveness": tcp_probe(port, initial_delay=live_after)}


def http_probe(path: str, port: int, initial_delay: int = 10, period: int = 10, failures: int = 6) -> dict[str, Any]:
    return {
        "http_get": {"path": path, "port": port},
        "initial_delay_seconds": initial_delay,
        "period_seconds": period,
        "failure_threshold": failures,
        "timeout_seconds": 5,
    }


def exec_probe(command: Sequence[str], initial_delay: int = 10, period: int = 10, failures: int = 6,
               timeout: int = 5) -> dict[str, Any]:
    return {
        "exec": {"command": list(command)},
        "initial_delay_seconds": initial_delay,
        "period_seconds": period,
        "failure_threshold": failures,
        "timeout_seconds": timeout,
    }


def container_security(run_as_user: int | None = None, run_as_group: int | None = None) -> dict[str, Any]:
    """No privilege escalation, default seccomp, only the capabilities root images need to start."""
    context: dict[str, Any] = {
        "allow_privilege_escalation": False,
        "privileged": False,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    if run_as_user is not None:
        context.update(run_as_user=run_as_user, run_as_non_root=True, capabilities={"drop": ["ALL"]})
        if run_as_group is not None:
            context["run_as_group"] = run_as_group
    else:
        context["capabilities"] = {"drop": ["NET_RAW"]}
    return context


# --- config files ----------------------------------------------------------------------------------


def checksum(content: pulumi.Input[Any], key: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """A digest of config file contents for a pod-template annotation: a change rolls the pods.

    Files that hold a secret get an HMAC-SHA256 under `key` (a random secret of the stack): a plain hash
    of a file with a password in it lets anyone who reads the pod spec test guesses of that password
    offline (a weak external MySQL password, say). Keyed, the digest says nothing without the key, so it is
    unsecreted to keep the workload's spec readable in previews.
    """
    def digest(args: list[Any]) -> str:
        files, secret_key = args
        message = json.dumps(files, sort_keys=True).encode()
        if secret_key is None:
            return hashlib.sha256(message).hexdigest()[:16]
        return hmac.new(str(secret_key).encode(), message, hashlib.sha256).hexdigest()[:16]

    return pulumi.Output.unsecret(pulumi.Output.all(content, key).apply(digest))


def checksum_key(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A component's secret key for its config checksums (`checksum`), kept in state as a secret."""
    return random.RandomPassword(f"{name}-checksum-key", length=32, special=False, opts=pulumi.ResourceOptions(
        parent=parent, additional_secret_outputs=["result"])).result


def encoded(files: pulumi.Input[Mapping[str, str]]) -> pulumi.Output[dict[str, str]]:
    """A Secret's files as its `data` (base64), secret."""
    return pulumi.Output.secret(pulumi.Output.from_input(files).apply(
        lambda plain: {key: base64.b64encode(value.encode()).decode() for key, value in plain.items()}))


@dataclass(frozen=True)
class ConfigFiles:
    """Files a module reads, kept in one ConfigMap or Secret and mounted as a directory.

    Mounted as a directory (never subPath) so that kubelet updates the files in running pods; with
    `rolls_pods` the pods are also restarted on change (for programs that read config only at start).
    """

    name: str
    mount_path: str
    files: pulumi.Input[Mapping[str, str]]
    secret: bool = False
    rolls_pods: bool = True
    file_names: Sequence[str] = ()
    """When set, each named file is mounted alone (subPath) into mount_path, beside the image's own
    files there; only allowed for files read at start, so `rolls_pods` must stay on."""
    managed: bool = True
    """False when another module owns the object and this one only mounts it."""
    encoded: bool = False
    """A Secret written as `data` (base64), the form the API server returns, instead of `stringData`: what a
    Secret needs to be adopted from the cluster (`adopt`), whose inputs the engine compares with the live
    object (a `stringData` against a live `data` would be a replacement, which an import may not be)."""
    retain_on_delete: bool = False
    """Left in the cluster when the stack deletes it (with volumes whose data depends on its values)."""
    adopt: str | None = None
    """`<namespace>/<name>` of the live object to take into the stack (an import) when the stack found it
    kept from an earlier stack; the same id on later runs changes nothing."""

    def __post_init__(self) -> None:
        if self.file_names and not self.rolls_pods:
            raise ValueError(f"{self.name}: files mounted one by one are not updated in place; keep rolls_pods")
        if (self.encoded or self.adopt) and not (self.secret and self.managed):
            raise ValueError(f"{self.name}: only a Secret this module owns is encoded or adopted")
        if self.adopt and not self.encoded:
            raise ValueError(f"{self.name}: an adopted Secret must be encoded to match its live object")

    @classmethod
    def for_file(cls, name: str, where: ConfigFile, content: pulumi.Input[str] | pulumi.Input[Mapping[str, str]],
                 *, secret: bool = False, managed: bool = True) -> ConfigFiles:
        """Mount one FATE config file the way its image reads it (facts.paths): as the whole
        directory when the directory is its own (kubelet updates it in place), else alone by subPath; and
        roll the pods on change unless the program re-reads an in-place update by itself."""
        files = content if not isinstance(content, str) else {where.name: content}
        return cls(name=name, mount_path=where.directory, files=files, secret=secret, managed=managed,
                   rolls_pods=not where.updates_in_place,
                   file_names=() if where.own_directory else (where.name,))


@dataclass(frozen=True)
class DataVolume:
    """A module's stateful volume: a claim template (retained on destroy by default) or an existing claim."""

    name: str
    mount_path: str
    size: str
    storage_class: str | None = None
    existing_claim: str | None = None
    persistent: bool = True
    sub_paths: Mapping[str, str] = field(default_factory=dict)
    """Optional sub-directory -> mount path, to keep several data directories on one volume."""
    sub_path: str | None = None
    """Mount this sub-directory of the volume at mount_path instead of its root, for images that initialise
    only an empty directory (a fresh filesystem has lost+found at its root; facts.images)."""
    size_key: str = "the volume size"
    """The config key the size comes from, named when the cluster refuses a size change
    (stacks.live_claims)."""


@dataclass(frozen=True)
class ModuleSpec:
    """One FATE module as Kubernetes sees it: a workload with its config, volume and Service."""

    name: str
    image: str
    ports: Mapping[str, int]
    sizing: Sizing = "dev"
    resources_override: tuple[str, str] | None = None
    replicas: int = 1
    stateful: bool = False
    command: Sequence[str] | None = None
    args: Sequence[str] | None = None
    env: Sequence[Mapping[str, Any]] = ()
    config: Sequence[ConfigFiles] = ()
    extra_volumes: Sequence[Mapping[str, Any]] = ()
    extra_mounts: Sequence[Mapping[str, Any]] = ()
    data: DataVolume | None = None
    readiness: Mapping[str, Any] | None = None
    liveness: Mapping[str, Any] | None = None
    startup: Mapping[str, Any] | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    fs_group: int | None = None
    """Group that owns the pod's volumes (kubelet sets it on mount): how a non-root image writes a fresh
    volume (facts.images)."""
    init_containers: Sequence[Mapping[str, Any]] = ()
    sidecars: Sequence[Mapping[str, Any]] = ()
    service_account: pulumi.Input[str] | None = None
    automount_token: bool = False
    image_pull_secrets: Sequence[str] = ()
    service_name: str | None = None
    headless_service: bool = False
    retain_volumes: bool = True
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    workload_annotations: Mapping[str, str] = field(default_factory=dict)
    checksum_key: pulumi.Input[str] | None = None
    """The stack's secret key for the config checksum; required when a Secret's change rolls the pods."""
    await_timeout_seconds: int | None = None
    """The stack's `kubernetes.awaitTimeoutSeconds`; None keeps the provider's default wait."""
    resize_claims: bool = False
    """For a stack with a cluster: the claim template keeps its size from creation and each replica's claim
    is patched to the volume size, so a size change grows the claims in place. Off (render mode: no claim
    exists) the template carries the size, and a change re-renders the StatefulSet."""


def workload_await(timeout_seconds: int | None) -> dict[str, str]:
    """The workload annotation that bounds the provider's readiness await; none keeps its default, so a
    stack without the setting renders the same manifests as before."""
    return {} if timeout_seconds is None else {AWAIT_TIMEOUT_ANNOTATION: str(timeout_seconds)}


CLAIM_TEMPLATE_SIZE = "spec.volumeClaimTemplates[*].spec.resources.requests.storage"
"""Ignored after creation: volumeClaimTemplates are immutable, so a changed size would replace the
StatefulSet and still leave its existing claims at their size; the claims are patched instead."""


def claim_names(volume: str, statefulset: str, replicas: int) -> list[str]:
    """The claims a StatefulSet's controller creates from a claim template: `<template>-<set>-<ordinal>`."""
    return [f"{volume}-{statefulset}-{ordinal}" for ordinal in range(replicas)]


def service_ports(ports: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "port": port, "target_port": port, "protocol": "TCP"} for name, port in ports.items()]


class Module(pulumi.ComponentResource):
    """A FATE module: its config objects, its Deployment or StatefulSet, and its in-cluster Service.

    Public Services (LoadBalancer / NodePort) are added by the owning component, which knows the
    exposure; this keeps every module the same shape.
    """

    workload: k8s.apps.v1.StatefulSet | k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(
        self, name: str, spec: ModuleSpec, namespace: pulumi.Input[str], instance: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("fate:kubernetes:Module", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        module_labels = labels(spec.name, instance, spec.extra_labels)
        volumes: list[Any] = list(spec.extra_volumes)
        mounts: list[Any] = list(spec.extra_mounts)
        rolling: list[pulumi.Input[Mapping[str, str]]] = []
        if spec.checksum_key is None and any(f.secret and f.rolls_pods and f.managed for f in spec.config):
            raise ValueError(f"module {spec.name}: a Secret's checksum needs the stack's checksum_key "
                             "(a plain hash would let its password be guessed from the pod spec)")
        for files in spec.config:
            metadata = {"name": files.name, "namespace": namespace, "labels": module_labels}
            if files.secret:
                if files.managed:
                    values = {"data": encoded(files.files)} if files.encoded else {"string_data": files.files}
                    k8s.core.v1.Secret(f"{name}-{files.name}", metadata=metadata, type="Opaque", **values,
                                       opts=pulumi.ResourceOptions(parent=self, import_=files.adopt,
                                                                   retain_on_delete=files.retain_on_delete))
                volumes.append({"name": files.name, "secret": {"secret_name": files.name}})
            else:
                if files.managed:
                    k8s.core.v1.ConfigMap(f"{name}-{files.name}", metadata=metadata, data=files.files, opts=child)
                volumes.append({"name": files.name, "config_map": {"name": files.name}})
            if files.file_names:
                mounts.extend(
                    {"name": files.name, "mount_path": f"{files.mount_path.rstrip('/')}/{file}", "sub_path": file,
                     "read_only": True}
                    for file in files.file_names
                )
            else:
                mounts.append({"name": files.name, "mount_path": files.mount_path, "read_only": True})
            if files.rolls_pods:
                rolling.append(files.files)

        claim_templates: list[Any] = []
        if spec.data is not None:
            data = spec.data
            if data.sub_paths:
                mounts.extend({"name": data.name, "mount_path": path, "sub_path": sub}
                              for sub, path in data.sub_paths.items())
            else:
                mounts.append({"name": data.name, "mount_path": data.mount_path,
                               **({"sub_path": data.sub_path} if data.sub_path else {})})
            if not data.persistent:
                volumes.append({"name": data.name, "empty_dir": {}})
            elif data.existing_claim:
                volumes.append({"name": data.name, "persistent_volume_claim": {"claim_name": data.existing_claim}})
            else:
                claim_templates.append({
                    "metadata": {"name": data.name, "labels": module_labels},
                    "spec": {
                        "access_modes": ["ReadWriteOnce"],
                        "storage_class_name": data.storage_class,
                        "resources": {"requests": {"storage": data.size}},
                    },
                })

        container: dict[str, Any] = {
            "name": spec.name,
            "image": spec.image,
            "image_pull_policy": "IfNotPresent",
            "ports": [{"name": n[:15], "container_port": p} for n, p in spec.ports.items()],
            "env": list(spec.env),
            "volume_mounts": mounts,
            "resources": resources(spec.name, spec.sizing, spec.resources_override),
            "security_context": container_security(spec.run_as_user, spec.run_as_group),
            "readiness_probe": spec.readiness,
            "liveness_probe": spec.liveness,
            "startup_probe": spec.startup,
        }
        if spec.command is not None:
            container["command"] = list(spec.command)
        if spec.args is not None:
            container["args"] = list(spec.args)

        annotations = ({CONFIG_CHECKSUM_ANNOTATION: checksum(pulumi.Output.all(*rolling), spec.checksum_key)}
                       if rolling else {})
        pod_template = {
            "metadata": {"labels": module_labels, "annotations": annotations},
            "spec": {
                "containers": [container, *spec.sidecars],
                "init_containers": list(spec.init_containers),
                "volumes": volumes,
                "service_account_name": spec.service_account,
                "automount_service_account_token": spec.automount_token,
                "image_pull_secrets": [{"name": s} for s in spec.image_pull_secrets],
                "security_context": {
                    "seccomp_profile": {"type": "RuntimeDefault"},
                    **({"fs_group": spec.fs_group, "fs_group_change_policy": "OnRootMismatch"}
                       if spec.fs_group is not None else {}),
                },
                "enable_service_links": False,
            },
        }
        service_name = spec.service_name or spec.name
        metadata = {"name": spec.name, "namespace": namespace, "labels": module_labels,
                    "annotations": {**spec.workload_annotations, **workload_await(spec.await_timeout_seconds)}}
        match_labels = {"match_labels": selector(spec.name, instance)}
        if spec.stateful:
            retention = "Retain" if spec.retain_volumes else "Delete"
            self.workload = k8s.apps.v1.StatefulSet(
                name, metadata=metadata,
                spec={
                    "service_name": service_name,
                    "replicas": spec.replicas,
                    "selector": match_labels,
                    "template": pod_template,
                    "volume_claim_templates": claim_templates,
                    "persistent_volume_claim_retention_policy": {"when_deleted": retention, "when_scaled": "Retain"},
                    "pod_management_policy": "Parallel",
                },
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=[CLAIM_TEMPLATE_SIZE] if spec.resize_claims else None),
            )
            if claim_templates and spec.resize_claims:
                self._resize_claims(name, spec, namespace)
        else:
            self.workload = k8s.apps.v1.Deployment(
                name, metadata=metadata,
                spec={
                    "replicas": spec.replicas,
                    "selector": match_labels,
                    "template": pod_template,
                    "strategy": {"type": "Recreate" if spec.data else "RollingUpdate"},
                },
                opts=child,
            )
        self.service = k8s.core.v1.Service(
            f"{name}-svc",
            metadata={"name": service_name, "namespace": namespace, "labels": module_labels},
            spec={
                "type": "ClusterIP",
                "cluster_ip": "None" if spec.headless_service else None,
                "publish_not_ready_addresses": True if spec.headless_service else None,
                "selector": selector(spec.name, instance),
                "ports": service_ports(spec.ports),
            },
            opts=child,
        )
        self.register_outputs({"service": self.service.metadata.name})

    def _resize_claims(self, name: str, spec: ModuleSpec, namespace: pulumi.Input[str]) -> None:
        """Each replica's claim takes the volume size in place (server-side apply of the one field, taken
        over from the StatefulSet controller that created the claim). After the StatefulSet, whose await
        means the claims exist. Retained on destroy: the claims are, and they keep their size."""
        assert spec.data is not None
        for claim in claim_names(spec.data.name, spec.name, spec.replicas):
            k8s.core.v1.PersistentVolumeClaimPatch(
                f"{name}-{claim}",
                metadata={"name": claim, "namespace": namespace,
                          "annotations": {"pulumi.com/patchForce": "true"}},
                spec={"resources": {"requests": {"storage": spec.data.size}}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.workload], retain_on_delete=True),
            )
