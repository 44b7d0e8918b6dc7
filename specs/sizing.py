"""The production sizing policy: a user's sizes may not go below the production presets (facts.sizing)."""

from __future__ import annotations

from collections.abc import Mapping

from facts.sizing import PRODUCTION_VOLUME_SIZE, production_minimum, quantity_value


def production_size_problem(volume_sizes: Mapping[str, str], resources: Mapping[str, tuple[str, str]]) -> str | None:
    """Why these sizes are below the production sizing, or None; `resources` maps module -> (cpu, memory)."""
    for module, size in volume_sizes.items():
        if quantity_value(size) < quantity_value(PRODUCTION_VOLUME_SIZE):
            return (f"persistence.sizes.{module} is {size}; the production sizing needs volumes of at least "
                    f"{PRODUCTION_VOLUME_SIZE} (raise it, or use sizing: dev)")
    for module, (cpu, memory) in resources.items():
        cpu_min, memory_min = production_minimum(module)
        if quantity_value(cpu) < quantity_value(cpu_min) or quantity_value(memory) < quantity_value(memory_min):
            return (f"resources.{module} is {cpu} CPU / {memory}; the production sizing needs at least "
                    f"{cpu_min} CPU and {memory_min} (raise it, or use sizing: dev)")
    return None


def claim_size_problem(size_key: str, size: str, claim: str, live_request: str, storage_class: str | None,
                       expandable: bool) -> str | None:
    """Why an existing claim cannot take the configured size, or None (same size, or a growth Kubernetes
    allows). Kubernetes never shrinks a claim, and grows one only through a StorageClass with
    allowVolumeExpansion (the API server's PersistentVolumeClaimResize admission)."""
    wanted, current = quantity_value(size), quantity_value(live_request)
    if wanted < current:
        return (f"{size_key} is {size}, but the volume claim {claim} already requests {live_request} and "
                f"Kubernetes cannot shrink a volume: set {size_key} to {live_request} or more")
    if wanted > current and not expandable:
        refused = f"{size_key} is {size}, but the volume claim {claim} requests {live_request}"
        if storage_class is None:
            return (f"{refused} and has no StorageClass (a static volume), which Kubernetes cannot grow: "
                    f"keep {size_key} at {live_request}")
        return (f"{refused} and its StorageClass {storage_class} does not allow volume expansion: let the class grow "
                f"volumes (`kubectl patch storageclass {storage_class} -p '{{\"allowVolumeExpansion\": true}}'`, if its "
                f"driver supports expansion), or keep {size_key} at {live_request}")
    return None
