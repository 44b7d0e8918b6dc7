"""The labels and annotations every object carries: the one place for their keys and values."""

from __future__ import annotations

from collections.abc import Mapping

PART_OF = "fate-federation"
PART_OF_LABEL = "app.kubernetes.io/part-of"
INSTANCE_LABEL = "app.kubernetes.io/instance"
"""With PART_OF, the owner mark of our namespaces: an existing namespace without both is not taken over
(stacks/namespaces.py)."""
MANAGED_BY = "pulumi"
PSA_ENFORCE = "baseline"
"""Pod Security Admission level enforced on our namespaces (PodSecurityPolicy is gone since 1.25).

FATE's images run as root (MySQL's entrypoint changes owners, Pulsar and Hadoop write as root), so the
enforced level is `baseline`; `restricted` is warned and audited so the gap stays visible.
"""
PSA_WARN = "restricted"
CONFIG_CHECKSUM_ANNOTATION = "fate-federation/config-checksum"
"""Pod-template annotation holding a digest of the config files a program reads at start."""
PARTY_ID_LABEL = "fate-federation/party-id"


def labels(component: str, instance: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The app.kubernetes.io labels on every object (spelled right: selectors depend on them)."""
    return {
        "app.kubernetes.io/name": component,
        INSTANCE_LABEL: instance,
        "app.kubernetes.io/component": component,
        PART_OF_LABEL: PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        **(extra or {}),
    }


def selector(component: str, instance: str) -> dict[str, str]:
    """The stable subset of `labels` used in selectors (selectors are immutable once created)."""
    return {"app.kubernetes.io/name": component, INSTANCE_LABEL: instance}


def namespace_labels(instance: str) -> dict[str, str]:
    return {
        **labels("namespace", instance),
        "pod-security.kubernetes.io/enforce": PSA_ENFORCE,
        "pod-security.kubernetes.io/warn": PSA_WARN,
        "pod-security.kubernetes.io/audit": PSA_WARN,
    }


def party_instance(party_id: int) -> str:
    """The `app.kubernetes.io/instance` of a party's objects."""
    return f"party-{party_id}"


def exchange_instance(party_id: int) -> str:
    """The `app.kubernetes.io/instance` of the exchange's objects."""
    return f"exchange-{party_id}"
