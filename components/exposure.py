"""Services other parties reach, the address they dial, and the namespace's network policy.

A party's nginx and Pulsar TLS Services and the exchange's Traffic Server and nginx are exposed the way
the stack's `exposure` says (LoadBalancer, NodePort on a node address, or ClusterIP in one cluster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.kube import service_ports
from facts.labels import labels, selector
from facts.names import NETWORK_POLICY

ExposureType = Literal["LoadBalancer", "NodePort", "ClusterIP"]


def public_service(
    name: str, *, service_name: str, module: str, instance: str, namespace: pulumi.Input[str],
    ports: Mapping[str, int], exposure_type: ExposureType,
    annotations: Mapping[str, str] | None, opts: pulumi.ResourceOptions,
    node_ports: Mapping[str, int | None] | None = None,
) -> k8s.core.v1.Service:
    """A Service other parties reach (LoadBalancer, or NodePort on a node address). `node_ports`: port name ->
    a fixed node port (exposure.nodePorts); a port without one gets a free node port from Kubernetes."""
    fixed = {port: number for port, number in (node_ports or {}).items() if number is not None}
    return k8s.core.v1.Service(
        name,
        metadata={"name": service_name, "namespace": namespace, "labels": labels(module, instance),
                  "annotations": dict(annotations or {})},
        spec={"type": exposure_type, "selector": selector(module, instance),
              "ports": [{**entry, "node_port": fixed[entry["name"]]} if entry["name"] in fixed else entry
                        for entry in service_ports(ports)]},
        opts=opts,
    )


def namespace_network_policy(
    name: str, *, namespace: pulumi.Input[str], instance: str, openings: Mapping[str, Sequence[int]],
    opts: pulumi.ResourceOptions,
) -> list[k8s.networking.v1.NetworkPolicy]:
    """Pods in the namespace accept traffic from each other; from outside, each module in `openings`
    (module -> ports) accepts it only on its own ports, and no other pod on any port. So the Pulsar admin
    API, the Spark master UI, MySQL and HDFS stay closed to the rest of the cluster."""
    policy_labels = labels("network-policy", instance)
    policies = [k8s.networking.v1.NetworkPolicy(
        name,
        metadata={"name": NETWORK_POLICY, "namespace": namespace, "labels": policy_labels},
        spec={"pod_selector": {}, "policy_types": ["Ingress"], "ingress": [{"from_": [{"pod_selector": {}}]}]},
        opts=opts,
    )]
    for module, ports in sorted(openings.items()):
        policies.append(k8s.networking.v1.NetworkPolicy(
            f"{name}-{module}",
            metadata={"name": f"{NETWORK_POLICY}-{module}", "namespace": namespace, "labels": policy_labels},
            spec={
                "pod_selector": {"match_labels": selector(module, instance)},
                "policy_types": ["Ingress"],
                "ingress": [{"ports": [{"port": port, "protocol": "TCP"} for port in sorted(set(ports))]}],
            },
            opts=opts,
        ))
    return policies


def service_address(
    service: k8s.core.v1.Service, exposure_type: ExposureType, node_address: str | None, dns_name: str
) -> pulumi.Output[str | None]:
    """The address other parties dial: the load balancer's ip or hostname, the node address, or (in one
    cluster) the service's DNS name.

    None (never "") while Kubernetes has not assigned one, so callers report a pending state.
    """
    if exposure_type == "NodePort":
        return pulumi.Output.from_input(node_address)
    if exposure_type == "ClusterIP":
        return pulumi.Output.from_input(dns_name)

    def first_ingress(status: Any) -> str | None:
        ingress = ((status or {}).get("load_balancer") or {}).get("ingress") if isinstance(status, dict) else (
            getattr(getattr(status, "load_balancer", None), "ingress", None) if status else None)
        if not ingress:
            return None
        entry = ingress[0]
        get = entry.get if isinstance(entry, dict) else lambda k: getattr(entry, k, None)
        return get("ip") or get("hostname") or None

    return service.status.apply(first_ingress)


def service_port(service: k8s.core.v1.Service, port_name: str, node_port: bool) -> pulumi.Output[int | None]:
    """The port other parties dial: the Service port, or the node port Kubernetes assigned."""

    def pick(ports: Any) -> int | None:
        for port in ports or []:
            get = port.get if isinstance(port, dict) else lambda k, p=port: getattr(p, k, None)
            if get("name") == port_name:
                value = get("node_port") if node_port else get("port")
                return int(value) if value else None
        return None

    return service.spec.ports.apply(pick)
