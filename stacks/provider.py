"""The explicit Kubernetes provider of a stack, so one machine can drive several parties' clusters."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from stacks.config import CONFIG_NAMESPACE, ConfigError, KubernetesConfig


def kubernetes_provider(name: str, config: KubernetesConfig, *, required: bool) -> k8s.Provider:
    """A provider built from this stack's config: a kubeconfig secret, a kubeconfig path and/or a context.

    `required`: party and exchange stacks must name their cluster, so that a forgotten setting cannot
    deploy one party's objects into another party's cluster through the ambient kubeconfig.
    ConfigMaps are mutable so route tables reach running pods in place; workloads that read their
    config only at start roll through a checksum annotation instead (components/kube.py).
    """
    kubeconfig = pulumi.Config(CONFIG_NAMESPACE).get_secret("kubeconfig")
    if required and kubeconfig is None and not config.context and not config.kubeconfig_path:
        raise ConfigError(
            "invalid stack config:\n"
            f"  {CONFIG_NAMESPACE}:kubernetes: name this stack's cluster: set kubernetes.context "
            "(pulumi config set --path kubernetes.context <context>) or a kubeconfig "
            "(pulumi config set --secret kubeconfig \"$(cat kubeconfig.yaml)\")"
        )
    return k8s.Provider(
        f"{name}-k8s",
        kubeconfig=kubeconfig if kubeconfig is not None else config.kubeconfig_path,
        context=config.context,
        enable_config_map_mutable=True,
        opts=pulumi.ResourceOptions(additional_secret_outputs=["kubeconfig"]),
    )
