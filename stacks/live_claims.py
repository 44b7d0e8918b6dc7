"""A volume size change checked against the claims the cluster already holds, before any resource registers.

Kubernetes grows a claim in place only (a StatefulSet's volumeClaimTemplates are immutable, so
components.kube.Module patches each replica's claim) and never shrinks one; it grows one only when the
claim's StorageClass has allowVolumeExpansion (the API server's PersistentVolumeClaimResize admission).
Left to the API server, a shrink or a refused growth would fail `pulumi up` in the middle, after other
objects changed, with a message naming neither the config key nor the fix. So the stack reads the claims
it would resize, and their StorageClass, with the settings its provider uses (stacks.cluster_api), and
stops with a config error before registering anything, in `preview` as in `up`.

No cluster (render mode, the SDK's mocks): nothing to read. A cluster that cannot be read from here is
warned about and the check skipped; the API server then still refuses a shrink or a growth the class does
not allow, only later (when the claim is patched) and in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.fate_cluster import planned_volumes
from components.kube import ModuleSpec, claim_names
from specs.common import KubernetesConfig
from specs.errors import config_error
from specs.party import PartyConfig
from specs.sizing import claim_size_problem
from stacks.cluster_api import ClusterUnreadable, core_api, engine_is_mocked, read, where


@dataclass(frozen=True)
class PlannedClaim:
    """A claim the stack's StatefulSets use (components.kube.claim_names), and the size the config asks."""

    namespace: str
    name: str
    size: str
    size_key: str
    """The full config key of the size, named in the error."""


def planned_claims(namespace: str, specs: Sequence[ModuleSpec]) -> list[PlannedClaim]:
    """The claims these modules' StatefulSets own in `namespace`, with their configured size."""
    return [PlannedClaim(namespace, claim, spec.data.size, spec.data.size_key)
            for spec in specs
            if spec.stateful and spec.data is not None and spec.data.persistent and not spec.data.existing_claim
            for claim in claim_names(spec.data.name, spec.name, spec.replicas)]


def party_claims(party: PartyConfig, config_path: str = "party") -> list[PlannedClaim]:
    """The claims a party's FateCluster owns (components.fate_cluster.planned_volumes)."""
    return [PlannedClaim(party.resolved_namespace, claim, volume.size, volume.size_key)
            for volume in planned_volumes(party, config_path)
            for claim in claim_names(volume.volume, volume.statefulset, volume.replicas)]


def claims_resizable(config: KubernetesConfig) -> bool:
    """Whether the stack's workloads patch their existing claims (components.kube.ModuleSpec.resize_claims):
    only against a cluster. Render mode and the offline render (the SDK's mocks) show what a cluster
    without the claims gets, where the claim templates alone give the sizes and nothing is to be patched
    (a claim patch applied to a fresh cluster would be refused as an incomplete claim)."""
    return not config.render_yaml_to_directory and not engine_is_mocked()


def claim_problems(core: Any, claims: Sequence[PlannedClaim]) -> list[str]:
    """What the cluster's existing claims refuse of the planned sizes (claims not there yet: nothing)."""
    from kubernetes import client

    storage = client.StorageV1Api(core.api_client)
    expandable: dict[str, bool] = {}
    problems: list[str] = []
    for claim in claims:
        live = read(core.read_namespaced_persistent_volume_claim, claim.name, claim.namespace)
        if live is None:
            continue
        request = live["spec"]["resources"]["requests"]["storage"]
        storage_class = live["spec"].get("storageClassName") or None
        if storage_class is not None and storage_class not in expandable:
            found = read(storage.read_storage_class, storage_class) or {}
            expandable[storage_class] = bool(found.get("allowVolumeExpansion"))
        problem = claim_size_problem(claim.size_key, claim.size, f"{claim.namespace}/{claim.name}", request,
                                     storage_class, expandable.get(storage_class or "", False))
        if problem:
            problems.append(problem)
    return problems


def refuse_impossible_sizes(claims: Sequence[PlannedClaim], config: KubernetesConfig,
                            kubeconfig_text: str | None = None) -> None:
    """Raise a config error naming each size key the cluster's existing claims cannot take; call it before
    any resource registers."""
    if config.render_yaml_to_directory or not claims or engine_is_mocked():
        return
    try:
        problems = claim_problems(core_api(config, kubeconfig_text), claims)
    except ClusterUnreadable as error:
        pulumi.log.warn(f"volume sizes not checked against the existing claims in {where(config)} ({error}): a "
                        "shrink or a growth the StorageClass does not allow fails when the claim is patched")
        return
    if problems:
        raise config_error(*problems)


async def check_claim_sizes(claims: Sequence[PlannedClaim], config: KubernetesConfig,
                            kubeconfig: pulumi.Output[str] | None = None) -> None:
    """refuse_impossible_sizes with the stack's secret kubeconfig (stacks.provider's), in an async program."""
    if config.render_yaml_to_directory or not claims or engine_is_mocked():
        return
    text = await kubeconfig.future() if kubeconfig is not None else None
    refuse_impossible_sizes(claims, config, text)
