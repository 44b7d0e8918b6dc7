"""The explicit Kubernetes provider of a stack, so one machine can drive several parties' clusters."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from specs.common import KubernetesConfig
from specs.errors import config_error, config_key


def kubernetes_provider(name: str, config: KubernetesConfig, kubeconfig: pulumi.Output[str] | None, *,
                        required: bool) -> k8s.Provider:
    """A provider built from this stack's config: a kubeconfig (secret), a kubeconfig path and/or a context,
    or a directory to render manifests into (kubernetes.renderYamlToDirectory: no cluster at all).

    `required`: party and exchange stacks must name their cluster, so that a forgotten setting cannot
    deploy one party's objects into another party's cluster through the ambient kubeconfig.
    ConfigMaps are mutable so route tables reach running pods in place; workloads that read their
    config only at start roll through a checksum annotation instead (components/kube.py).
    """
    if config.render_yaml_to_directory:
        # No cluster: manifests land in the directory; server-filled fields (Service status) stay unknown.
        return k8s.Provider(
            f"{name}-k8s",
            render_yaml_to_directory=config.render_yaml_to_directory,
            enable_config_map_mutable=True,
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
        opts=pulumi.ResourceOptions(additional_secret_outputs=["kubeconfig"]),
    )
