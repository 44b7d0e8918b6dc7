"""What the Kubernetes provider and API server add to an object: auto-names, node ports, load-balancer
addresses. Deterministic and kept in the EngineState, so a render is stable from run to run."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from fedctl.records import EngineState
from fedctl.wire import has_unknown, is_secret, reveal

EMULATED_LB_NETWORK = ipaddress.ip_network("192.0.2.0/24")
"""TEST-NET-1 (RFC 5737): never routed, so an emulated address cannot be mistaken for a real one."""
NODE_PORTS = range(30000, 32768)
"""The API server's default Service node port range."""
AUTONAMED_ANNOTATION = "pulumi.com/autonamed"


class EmulationError(Exception):
    """What the API server or a provider would refuse (a taken node port, an impossible password)."""


def fingerprint(inputs: Mapping[str, Any]) -> str:
    """The inputs' meaning as text: equal fingerprints, no replacement."""
    return json.dumps(reveal(dict(inputs)), sort_keys=True, default=str)


def _stable_number(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % modulo


def _urn_stack(urn: str) -> str:
    return urn.split("::")[0].removeprefix("urn:pulumi:")


def auto_named(typ: str, name: str, urn: str, inputs: dict[str, Any], *, mutable: bool, state: EngineState,
               preview: bool) -> dict[str, Any]:
    """The inputs with the name the provider gives an object without metadata.name: the logical name and a
    hash of the URN, a new one each time an immutable ConfigMap/Secret's data changes (a replacement)."""
    metadata = inputs.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or is_secret(metadata) or has_unknown(metadata) \
            or metadata.get("name") or metadata.get("generateName") or typ.endswith("List"):
        return inputs
    generation = 0
    kind = typ.rsplit(":", 1)[-1]
    if kind in ("ConfigMap", "Secret") and not mutable:
        # immutable by default: a data change replaces the object, under a new name
        data = fingerprint({k: inputs.get(k) for k in ("data", "binaryData", "stringData")})
        with state.lock:
            before = state.autonames.get(urn)
            generation = before[1] + (before[0] != data) if before else 0
            if not preview:
                state.autonames[urn] = (data, generation)
    auto_name = f"{name}-{hashlib.sha256(f'{urn}#{generation}'.encode()).hexdigest()[:8]}"
    annotations = metadata.get("annotations")
    annotations = dict(annotations) if isinstance(annotations, dict) else {}
    annotations[AUTONAMED_ANNOTATION] = "true"
    return {**inputs, "metadata": {**metadata, "name": auto_name, "annotations": annotations}}


def service_outputs(urn: str, inputs: dict[str, Any], state: EngineState) -> dict[str, Any]:
    """A Service as the API server returns it: node ports and a load-balancer address assigned."""
    plain = reveal(inputs)
    spec = plain.get("spec") or {}
    meta = plain.get("metadata") or {}
    identity = f"Service {meta.get('namespace') or 'default'}/{meta.get('name')}"
    kind = spec.get("type", "ClusterIP")
    outputs = dict(inputs)
    if kind in ("NodePort", "LoadBalancer"):
        ports = _node_ports(urn, identity, [dict(p) for p in spec.get("ports") or []], state)
        outputs["spec"] = {**plain["spec"], "ports": ports}
    if kind == "LoadBalancer":
        outputs["status"] = {"loadBalancer": {"ingress": [{"ip": _load_balancer_address(urn, state)}]}}
    return outputs


def _node_ports(urn: str, identity: str, ports: list[dict[str, Any]], state: EngineState) -> list[dict[str, Any]]:
    """Node ports as the API server assigns them: given ones kept (and checked), others picked
    deterministically, unique in the stack's cluster, stable across runs."""
    cluster = _urn_stack(urn)
    with state.lock:
        taken = {port: other for other, assigned in state.node_ports.items()
                 if other != urn and _urn_stack(other) == cluster for port in assigned.values()}
        previous = state.node_ports.get(urn, {})
        assigned: dict[str, int] = {}
        for port in ports:
            key = str(port.get("name") or port.get("port"))
            given = port.get("nodePort")
            if given:
                if int(given) not in NODE_PORTS:
                    raise EmulationError(f"{identity}: nodePort {given} is outside {NODE_PORTS.start}-"
                                         f"{NODE_PORTS.stop - 1}")
                if int(given) in taken or int(given) in assigned.values():
                    raise EmulationError(f"{identity}: nodePort {given} is already allocated")
                chosen = int(given)
            elif previous.get(key) and previous[key] not in taken:
                chosen = previous[key]
            else:
                chosen = NODE_PORTS.start + _stable_number(f"{urn}/{key}", len(NODE_PORTS))
                while chosen in taken or chosen in assigned.values():
                    chosen = NODE_PORTS.start + (chosen - NODE_PORTS.start + 1) % len(NODE_PORTS)
            assigned[key] = chosen
            port["nodePort"] = chosen
        state.node_ports[urn] = assigned
    return ports


def _load_balancer_address(urn: str, state: EngineState) -> str:
    """An address from TEST-NET-1, unique among every stack sharing the state, stable across runs."""
    hosts = list(EMULATED_LB_NETWORK.hosts())
    with state.lock:
        known = state.load_balancer_addresses.get(urn)
        if known:
            return known
        taken = set(state.load_balancer_addresses.values())
        if len(taken) >= len(hosts):
            raise EmulationError(f"more than {len(hosts)} emulated load balancers in one render")
        index = _stable_number(urn, len(hosts))
        while str(hosts[index]) in taken:
            index = (index + 1) % len(hosts)
        state.load_balancer_addresses[urn] = str(hosts[index])
        return str(hosts[index])
