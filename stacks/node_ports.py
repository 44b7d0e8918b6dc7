"""A fixed node port (exposure.nodePorts) that another Service already holds is refused before anything is
created.

Left to the API server, the Service's create fails in the middle of `pulumi up` ("provided port is already
allocated"), after the namespace and the workloads were applied, naming neither the config key nor the fix.
So the stack lists the cluster's Services first (one GET, with the settings its provider uses:
stacks.cluster_api) and stops with a config error naming each taken port, its key and who holds it. The
stack's own Service (same namespace and name, on a later run) may keep its port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from facts.names import EXCHANGE_NGINX_SERVICE, NGINX_SERVICE, PULSAR_PUBLIC_SERVICE, TRAFFIC_SERVER_SERVICE
from facts.ports import NODE_PORT_RANGE
from specs.common import KubernetesConfig
from specs.errors import config_error, config_key
from specs.exchange import ExchangeConfig
from specs.party import PartyConfig
from stacks.cluster_api import ClusterUnreadable, core_api, engine_is_mocked, read, where


@dataclass(frozen=True)
class PlannedNodePort:
    """A node port the stack fixes, the Service that will hold it, and its full config key."""

    port: int
    namespace: str
    service: str
    key: str


def _planned(fixed: Mapping[str, int], services: Mapping[str, str], namespace: str, path: str) -> list[PlannedNodePort]:
    return [PlannedNodePort(port, namespace, services[name], config_key(f"{path}.exposure.nodePorts.{name}"))
            for name, port in fixed.items()]


def party_node_ports(party: PartyConfig, path: str = "party") -> list[PlannedNodePort]:
    """The node ports a party fixes (none unless exposure.nodePorts is set)."""
    services = {"nginxHttp": NGINX_SERVICE, "nginxGrpc": NGINX_SERVICE, "pulsarTls": PULSAR_PUBLIC_SERVICE}
    return _planned(party.exposure.node_ports.fixed(), services, party.resolved_namespace, path)


def exchange_node_ports(exchange: ExchangeConfig, path: str = "exchange") -> list[PlannedNodePort]:
    services = {"nginxHttp": EXCHANGE_NGINX_SERVICE, "nginxGrpc": EXCHANGE_NGINX_SERVICE,
                "trafficServerTls": TRAFFIC_SERVER_SERVICE}
    return _planned(exchange.exposure.node_ports.fixed(), services, exchange.namespace, path)


def node_port_problems(planned: Sequence[PlannedNodePort], services: Sequence[Mapping[str, Any]],
                       cluster: str) -> list[str]:
    """Each planned port another Service of the cluster holds, as `<key>: <who holds it and the fix>`."""
    holders: dict[int, str] = {}
    for service in services:
        metadata = service.get("metadata") or {}
        for port in (service.get("spec") or {}).get("ports") or []:
            if port.get("nodePort"):
                holders.setdefault(int(port["nodePort"]), f"{metadata.get('namespace')}/{metadata.get('name')}")
    low, high = NODE_PORT_RANGE
    problems = []
    for plan in planned:
        holder = holders.get(plan.port)
        if holder is None or holder == f"{plan.namespace}/{plan.service}":
            continue
        path_key = plan.key.split(":", 1)[-1]
        problems.append(
            f"{plan.key}: node port {plan.port} is already allocated to the Service {holder} in {cluster} (the API "
            f"server would refuse ours: \"provided port is already allocated\"); nothing was changed. Choose a "
            f"free port from {low} to {high} (`pulumi config set --path {path_key} <port>`; `kubectl get services "
            f"--all-namespaces` shows the ones taken), or remove it to let Kubernetes pick one "
            f"(`pulumi config rm --path {path_key}`)")
    return problems


async def check_node_ports(planned: Sequence[PlannedNodePort], config: KubernetesConfig,
                           kubeconfig: pulumi.Output[str] | None) -> None:
    """Raise a config error naming each planned node port another Service holds; call it before any resource
    registers. No fixed port, no cluster (render mode, the SDK's mocks): nothing to read. A cluster that
    cannot be read is warned about and the check skipped (the API server then refuses in its own words)."""
    if not planned or config.render_yaml_to_directory or engine_is_mocked():
        return
    text = await kubeconfig.future() if kubeconfig is not None else None
    cluster = where(config)
    try:
        core = core_api(config, text)
        services = (read(core.list_service_for_all_namespaces) or {}).get("items") or []
    except ClusterUnreadable as error:
        pulumi.log.warn(f"node ports not checked against the cluster's Services ({cluster}: {error}): a port "
                        "another Service holds fails when our Service is created")
        return
    problems = node_port_problems(planned, services, cluster)
    if problems:
        raise config_error(*problems)
