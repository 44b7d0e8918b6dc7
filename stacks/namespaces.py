"""A namespace that already exists and is not ours is refused before anything is created.

The kubernetes provider built here (4.25.0) creates with server-side apply, which upserts: without this
check `pulumi up` adopts a namespace someone else made, takes over its labels, puts our objects beside
theirs, and a later `pulumi destroy` of a stack whose namespace is not retained deletes it with everything
in it. So every stack reads the namespaces it is about to create, with the cluster settings its provider
uses (stacks.cluster_api), before registering any resource, in `preview` as in `up`.

Ours is what the program itself labels (facts.labels.namespace_labels): `app.kubernetes.io/part-of:
fate-federation` and the `app.kubernetes.io/instance` of the party / exchange / KubeFATE it is for. That
admits the stack's own namespace on every later run and a retained namespace the same party comes back to
(docs/operations.md, restore), and refuses any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.kubefate_service import INSTANCE as KUBEFATE_INSTANCE
from facts.labels import INSTANCE_LABEL, PART_OF, PART_OF_LABEL, exchange_instance, party_instance
from specs.common import KubernetesConfig
from specs.errors import config_error, config_key
from specs.exchange import ExchangeConfig
from specs.party import PartyConfig
from stacks.cluster_api import ClusterUnreadable, core_api, engine_is_mocked, read, where


@dataclass(frozen=True)
class WantedNamespace:
    """A namespace the stack creates, the instance it is for, and the config key that names it."""

    name: str
    instance: str
    key: str
    """The full config key (`fate-federation:party.namespace`), named in the error with its fix."""


def owner_problem(wanted: WantedNamespace, live: Mapping[str, Any] | None, cluster: str) -> str | None:
    """Why the live namespace (None: it does not exist) must not be taken over, with the fix; None if it is ours."""
    if live is None:
        return None
    labels = (live.get("metadata") or {}).get("labels") or {}
    if labels.get(PART_OF_LABEL) == PART_OF and labels.get(INSTANCE_LABEL) == wanted.instance:
        return None
    if labels.get(PART_OF_LABEL) == PART_OF:
        owner = f"it belongs to {labels.get(INSTANCE_LABEL) or 'another instance'} of this project"
    else:
        owner = "it was not created by this program"
    path_key = wanted.key.split(":", 1)[-1]
    return (f"{wanted.key}: the namespace {wanted.name} already exists in {cluster} and {owner} "
            f"({PART_OF_LABEL}={labels.get(PART_OF_LABEL, '<none>')}, "
            f"{INSTANCE_LABEL}={labels.get(INSTANCE_LABEL, '<none>')}); nothing was changed. Choose a namespace "
            f"that does not exist (`pulumi config set --path {path_key} <name>`), or, if {wanted.name} is meant "
            f"for {wanted.instance}, mark it as such first: `kubectl label namespace {wanted.name} "
            f"{PART_OF_LABEL}={PART_OF} {INSTANCE_LABEL}={wanted.instance}`")


def refuse_foreign_namespaces(wanted: Sequence[WantedNamespace], config: KubernetesConfig,
                              kubeconfig_text: str | None = None) -> None:
    """Raise a config error naming each wanted namespace that exists without our mark; call it before any
    resource registers. No cluster (render mode, the SDK's mocks): nothing to read. A cluster that cannot be
    read from here (unreachable, a kubeconfig this process does not see) is warned about and the check
    skipped, as stacks.live_claims does: the provider then fails on an unreachable cluster in its own words."""
    if config.render_yaml_to_directory or not wanted or engine_is_mocked():
        return
    cluster = where(config)
    try:
        core = core_api(config, kubeconfig_text)
        problems = [problem for namespace in wanted
                    if (problem := owner_problem(namespace, read(core.read_namespace, namespace.name), cluster))]
    except ClusterUnreadable as error:
        pulumi.log.warn(f"namespaces not checked for another owner ({', '.join(n.name for n in wanted)} in "
                        f"{cluster}: {error}): an existing namespace would be taken over")
        return
    if problems:
        raise config_error(*problems)


def party_namespaces(party: PartyConfig, path: str = "party") -> list[WantedNamespace]:
    """The namespaces a party creates (its own; KubeFATE's when enabled), `path` the party's config path."""
    wanted = [WantedNamespace(party.resolved_namespace, party_instance(party.party_id), config_key(f"{path}.namespace"))]
    if party.kubefate.enabled:
        wanted.append(WantedNamespace(party.kubefate.namespace, KUBEFATE_INSTANCE,
                                      config_key(f"{path}.kubefate.namespace")))
    return wanted


def exchange_namespaces(exchange: ExchangeConfig, path: str = "exchange") -> list[WantedNamespace]:
    return [WantedNamespace(exchange.namespace, exchange_instance(exchange.party_id), config_key(f"{path}.namespace"))]


async def check_namespaces(wanted: Sequence[WantedNamespace], config: KubernetesConfig,
                           kubeconfig: pulumi.Output[str] | None) -> None:
    """refuse_foreign_namespaces with the stack's secret kubeconfig (stacks.provider's), in an async program."""
    if config.render_yaml_to_directory or engine_is_mocked():
        return
    text = await kubeconfig.future() if kubeconfig is not None else None
    refuse_foreign_namespaces(wanted, config, text)
