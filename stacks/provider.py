"""The explicit Kubernetes provider of a stack, so one machine can drive several parties' clusters."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls

from specs.common import KubernetesConfig
from specs.errors import config_error, config_key


def plugin_gate(name: str) -> list[pulumi.ProviderResource]:
    """Explicit tls and random providers that the stack's Kubernetes provider waits for.

    The engine loads a plugin when the first resource that needs it registers, and it goes on with the
    others meanwhile (a missing plugin is "best effort" at start: pkg/v3 engine/update.go), so without this
    a missing tls or random plugin failed the run only after the namespace had been created. Registering
    these providers loads both plugins first: a missing one fails the run before any cluster object."""
    return [tls.Provider(f"{name}-tls-plugin"), random.Provider(f"{name}-random-plugin")]


def kubernetes_provider(name: str, config: KubernetesConfig, kubeconfig: pulumi.Output[str] | None, *,
                        required: bool, wait_for: Sequence[pulumi.Resource] = ()) -> k8s.Provider:
    """A provider built from this stack's config: a kubeconfig (secret), a kubeconfig path and/or a context,
    or a directory to render manifests into (kubernetes.renderYamlToDirectory: no cluster at all).

    `required`: party and exchange stacks must name their cluster, so that a forgotten setting cannot
    deploy one party's objects into another party's cluster through the ambient kubeconfig.
    `wait_for`: resources registered before the provider (plugin_gate), so nothing reaches the cluster
    when one of them fails.
    ConfigMaps are mutable so route tables reach running pods in place; workloads that read their
    config only at start roll through a checksum annotation instead (components/kube.py).
    """
    if config.render_yaml_to_directory:
        # No cluster: manifests land in the directory; server-filled fields (Service status) stay unknown.
        return k8s.Provider(
            f"{name}-k8s",
            render_yaml_to_directory=config.render_yaml_to_directory,
            enable_config_map_mutable=True,
            opts=pulumi.ResourceOptions(depends_on=list(wait_for)),
        )
    if required and kubeconfig is None and not config.context and not config.kubeconfig_path:
        raise config_error(
            f"{config_key('kubernetes')}: name this stack's cluster: set kubernetes.context "
            "(pulumi config set --path kubernetes.context <context>) or a kubeconfig "
            "(pulumi config set --secret kubeconfig \"$(cat kubeconfig.yaml)\")"
        )
    return k8s.Provider(
        f"{name}-k8s",
        kubeconfig=kubeconfig if kubeconfig is not None else config.kubeconfig_path,
        context=config.context,
        enable_config_map_mutable=True,
        opts=pulumi.ResourceOptions(additional_secret_outputs=["kubeconfig"], depends_on=list(wait_for)),
    )
