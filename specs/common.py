"""Config pieces every role shares: which cluster, how endpoints are exposed, a static address."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from facts import ports
from specs.user_yaml import UserYamlError, load_user_yaml
from specs.values import AnnotationKey, AwaitTimeoutSeconds, Host, Model, NodePort, Port

ExposureType = Literal["LoadBalancer", "NodePort", "ClusterIP"]


class KubernetesConfig(Model):
    """Which cluster this stack drives: a kubeconfig context, and/or a kubeconfig held as a secret.

    The kubeconfig itself is read from the secret key `fate-federation:kubeconfig` (specs.loading).
    """

    context: str | None = None
    kubeconfig_path: str | None = None
    # Render mode: the provider writes manifests into this directory instead of calling an API server
    # (CI's real-engine tests, or reviewing what `pulumi up` would apply). No kubeconfig is read then.
    render_yaml_to_directory: str | None = Field(default=None, min_length=1)
    await_timeout_seconds: AwaitTimeoutSeconds | None = None
    """How long `pulumi up` waits for each Deployment/StatefulSet to become ready before it fails naming the
    pod and why (components.kube.Module); None keeps the provider's own wait (10 minutes)."""

    @model_validator(mode="after")
    def _render_mode_alone(self) -> KubernetesConfig:
        if self.render_yaml_to_directory and (self.context or self.kubeconfig_path):
            raise ValueError(
                "renderYamlToDirectory renders manifests without a cluster: remove context/kubeconfigPath, "
                "or remove renderYamlToDirectory to deploy to that cluster"
            )
        return self


def kubeconfig_problem(text: str) -> str | None:
    """Why `text` is not a kubeconfig, or None. Never quotes the text (it holds credentials)."""
    try:
        loaded = load_user_yaml(text)
    except UserYamlError:
        return "is not a kubeconfig: not valid YAML"
    if not isinstance(loaded, dict) or not isinstance(loaded.get("clusters"), list):
        return "is not a kubeconfig: no `clusters` list"
    return None


PARTY_NODE_PORTS = ("nginxHttp", "nginxGrpc", "pulsarTls")
EXCHANGE_NODE_PORTS = ("nginxHttp", "nginxGrpc", "trafficServerTls")


class NodePorts(Model):
    """Fixed node ports of the public Services when `exposure.type` is NodePort (e.g. to open them in a
    firewall); each one unset is picked by Kubernetes from the free ones. A party has nginxHttp, nginxGrpc and
    pulsarTls; the exchange has nginxHttp, nginxGrpc and trafficServerTls. A port another Service of the
    cluster already holds is refused before anything is created (stacks/node_ports.py)."""

    nginx_http: NodePort | None = None
    nginx_grpc: NodePort | None = None
    pulsar_tls: NodePort | None = None
    traffic_server_tls: NodePort | None = None

    def fixed(self) -> dict[str, int]:
        """camelCase key -> port, for the ones set."""
        return {field.alias or name: value for name, field in type(self).model_fields.items()
                if (value := getattr(self, name)) is not None}


class Exposure(Model):
    """How a party's or the exchange's public endpoints are reached from other parties.

    ClusterIP is for the local all-in-one stack: every party is in one cluster and reached by service DNS.
    """

    type: ExposureType = "LoadBalancer"
    node_address: Host | None = None
    load_balancer_annotations: dict[AnnotationKey, str] = {}
    node_ports: NodePorts = NodePorts()

    @model_validator(mode="after")
    def _node_ports_for_node_port(self) -> Exposure:
        fixed = self.node_ports.fixed()
        if fixed and self.type != "NodePort":
            raise ValueError(f"nodePorts are fixed node ports of a NodePort exposure, but type is {self.type}: set "
                             "type: NodePort, or remove nodePorts")
        ports = list(fixed.values())
        repeated = sorted({key for key, port in fixed.items() if ports.count(port) > 1})
        if repeated:
            raise ValueError(f"nodePorts gives {' and '.join(repeated)} the same port {fixed[repeated[0]]}: each "
                             "Service port needs its own node port")
        return self

    def node_port_problem(self, own: tuple[str, ...], role: str) -> str | None:
        """A fixed node port this role has no Service for (`own`: its nodePorts keys), or None."""
        foreign = sorted(set(self.node_ports.fixed()) - set(own))
        if foreign:
            return (f"nodePorts.{foreign[0]} is not a port of {role}: its node ports are "
                    f"{', '.join(own)}: remove it")
        return None

    @model_validator(mode="after")
    def _node_address_for_node_port(self) -> Exposure:
        if self.type == "NodePort" and not self.node_address:
            raise ValueError(
                "nodeAddress is required when type is NodePort: set it to a node's address that the other "
                "parties can reach (e.g. exposure.nodeAddress: 203.0.113.10)"
            )
        return self


IN_CLUSTER = Exposure(type="ClusterIP")
"""The local all-in-one stack's exposure: service DNS instead of load balancers."""


class StaticEndpoint(Model):
    host: Host
    port: Port


class StaticNginx(Model):
    host: Host
    http_port: Port = ports.NGINX_HTTP
    grpc_port: Port = ports.NGINX_GRPC
