"""How the Traffic Server runs in its pod: image, config objects, mounts, the reload watcher, and the
party Services its party rule reaches.

The file formats are pure functions in components.fateconf.ats; this module only decides which files
roll the pod (records.config and friends, read at start), which are reloaded in place (sni.yaml), and
turns each routed party into a Service of the exchange namespace (a party added or removed is live
within 1 s, no reload), so FateExchange stays a wiring of modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import kube
from components.fateconf import ats
from facts.labels import PARTY_ID_LABEL, labels


def module_settings(routes: Sequence[ats.SniRoute], cert_secret: str, rule: ats.PartyRule) -> dict[str, Any]:
    """ModuleSpec fields for the Traffic Server: config, routes, certificate and the reload watcher."""
    files = ats.traffic_server_files(routes, rule=rule)
    sni_name = ats.SNI_FILENAME
    static_files = {name: content for name, content in files.items() if name != sni_name}
    return {
        "config": [
            kube.ConfigFiles(name="traffic-server-config", mount_path=ats.STAGED_CONFIG_DIR, files=static_files),
            kube.ConfigFiles(name="traffic-server-sni", mount_path=ats.STAGED_ROUTES_DIR,
                             files={sni_name: files[sni_name]}, rolls_pods=False),
            kube.ConfigFiles(name=cert_secret, mount_path=ats.CERT_DIR, files={}, secret=True, managed=False),
        ],
        "command": ["/bin/sh", "-c", ats.entrypoint_script()],
        "readiness": kube.tcp_probe(ats.TLS_PORT, initial_delay=10),
        "liveness": kube.tcp_probe(ats.TLS_PORT, initial_delay=30),
    }


def party_route_services(name: str, routes: Sequence[ats.SniRoute], rule: ats.PartyRule, instance: str,
                         opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """One Service per party the rule reaches (ats.party_services): without selector plus an EndpointSlice
    for an IP address, ExternalName for a host name. Creating one makes the party live; deleting it, refused."""
    created: list[pulumi.Resource] = []
    for party in ats.party_services(routes, rule.domain)[0]:
        metadata = {"name": party.name, "namespace": rule.namespace,
                    "labels": labels("party-route", instance, {PARTY_ID_LABEL: str(party.party_id)})}
        port = {"name": ats.PARTY_PORT_NAME, "port": party.port, "protocol": "TCP"}
        if party.address_type is None:
            created.append(k8s.core.v1.Service(f"{name}-{party.name}", metadata=metadata, spec={
                "type": "ExternalName", "external_name": party.address, "ports": [port]}, opts=opts))
            continue
        created.append(k8s.core.v1.Service(f"{name}-{party.name}", metadata=metadata, spec={
            "type": "ClusterIP", "ports": [{**port, "target_port": party.port}]}, opts=opts))
        created.append(k8s.discovery.v1.EndpointSlice(
            f"{name}-{party.name}-endpoints",
            metadata={**metadata, "labels": {**metadata["labels"], "kubernetes.io/service-name": party.name,
                                             "endpointslice.kubernetes.io/managed-by": "pulumi"}},
            address_type=party.address_type,
            endpoints=[{"addresses": [party.address]}],
            ports=[port],
            opts=opts,
        ))
    return created
