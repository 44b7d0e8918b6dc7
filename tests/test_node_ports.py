"""`exposure.nodePorts`: fixed node ports of a NodePort exposure. The config refuses what the API server would
(outside the node port range, one port twice, a port of the other role, fixed ports without NodePort); the
rendered Services carry them and the exchange routes to them (the real program under the SDK's mocks: test
doubles for the engine and the API server); and the pure part of the pre-check refuses a port another Service
holds, naming the key and the fix (against a real API server: tests/test_cluster_faults.py)."""

from __future__ import annotations

from typing import Any

import pytest

from fedctl.render import render_stacks
from fedctl.stackfiles import read_stack_config
from specs.errors import ConfigError
from specs.loading import parse_settings
from specs.party import PartyConfig
from stacks.node_ports import PlannedNodePort, node_port_problems, party_node_ports
from tests.support.pulumi_harness import PROJECT_DIR

NODE_PORT = {"type": "NodePort", "nodeAddress": "203.0.113.20"}
PARTY_B_PORTS = {"nginxHttp": 30300, "nginxGrpc": 30310, "pulsarTls": 30651}


def refusal(role: str, section: dict[str, Any]) -> str:
    raw: dict[str, Any] = {"role": role, "kubernetes": {"context": "c"}, role: section}
    if role == "party":
        raw["exchange"] = {"stack": "organization/fate-federation/exchange"}
    with pytest.raises(ConfigError) as error:
        parse_settings(raw)
    return str(error.value)


@pytest.mark.parametrize(("role", "section", "expected"), [
    ("party", {"partyId": 9999, "exposure": {**NODE_PORT, "nodePorts": {"nginxHttp": 80}}},
     "fate-federation:party.exposure.nodePorts.nginxHttp: 80 is out of range: at least 30000 and at most 32767"),
    ("party", {"partyId": 9999, "exposure": {**NODE_PORT, "nodePorts": {"nginxHttp": 30300, "pulsarTls": 30300}}},
     "fate-federation:party.exposure: nodePorts gives nginxHttp and pulsarTls the same port 30300"),
    ("party", {"partyId": 9999, "exposure": {"nodePorts": {"nginxHttp": 30300}}},
     "fate-federation:party.exposure: nodePorts are fixed node ports of a NodePort exposure, but type is "
     "LoadBalancer: set type: NodePort, or remove nodePorts"),
    ("party", {"partyId": 9999, "exposure": {**NODE_PORT, "nodePorts": {"trafficServerTls": 30443}}},
     "exposure.nodePorts.trafficServerTls is not a port of a party: its node ports are nginxHttp, nginxGrpc, "
     "pulsarTls: remove it"),
    ("exchange", {"exposure": {**NODE_PORT, "nodePorts": {"pulsarTls": 30651}}},
     "exposure.nodePorts.pulsarTls is not a port of the exchange"),
    ("party", {"partyId": 9999, "exposure": {**NODE_PORT, "nodePorts": {"nginxHtp": 30300}}},
     "fate-federation:party.exposure.nodePorts.nginxHtp"),
])
def test_bad_node_ports_are_refused_naming_the_key(role: str, section: dict[str, Any], expected: str) -> None:
    assert expected in refusal(role, section)


def test_the_rendered_services_carry_the_fixed_ports_and_the_exchange_routes_to_them() -> None:
    party = read_stack_config(PROJECT_DIR, "party-b").values["fate-federation:party"]
    party = {**party, "exposure": {**party["exposure"], "nodePorts": PARTY_B_PORTS}}
    rendered = {r.stack: r.run for r in render_stacks(
        PROJECT_DIR, ["exchange", "party-b"], config_overrides={"party-b": {"fate-federation:party": party}})}
    services = {s["metadata"]["name"]: {p["name"]: p.get("nodePort") for p in s["spec"]["ports"]}
                for s in rendered["party-b"].k8s_objects("Service") if s["spec"].get("type") == "NodePort"}
    assert services == {"nginx": {"http": 30300, "grpc": 30310}, "pulsar-public-tls": {"tls-port": 30651}}
    routes = rendered["exchange"].outputs["parties"]["10000"]["routes"]
    assert routes["nginx"] == {"host": "203.0.113.20", "httpPort": 30300, "grpcPort": 30310}
    assert routes["sni"]["tunnelRoute"] == "203.0.113.20:30651"


def service(namespace: str, name: str, *node_ports: int) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace, "name": name},
            "spec": {"ports": [{"port": 80, "nodePort": port} for port in node_ports]}}


def test_a_port_another_service_holds_is_refused_and_our_own_service_keeps_its_port() -> None:
    party = PartyConfig.model_validate({"partyId": 10000, "exposure": {**NODE_PORT, "nodePorts": PARTY_B_PORTS}})
    planned = party_node_ports(party)
    assert planned == [
        PlannedNodePort(30300, "fate-10000", "nginx", "fate-federation:party.exposure.nodePorts.nginxHttp"),
        PlannedNodePort(30310, "fate-10000", "nginx", "fate-federation:party.exposure.nodePorts.nginxGrpc"),
        PlannedNodePort(30651, "fate-10000", "pulsar-public-tls", "fate-federation:party.exposure.nodePorts.pulsarTls")]
    cluster = [service("fate-10000", "nginx", 30300, 30310), service("web", "frontend", 30651),
               {"metadata": {"namespace": "default", "name": "kubernetes"}, "spec": {"ports": [{"port": 443}]}}]
    assert node_port_problems(planned, cluster, "context party-b") == [
        "fate-federation:party.exposure.nodePorts.pulsarTls: node port 30651 is already allocated to the Service "
        "web/frontend in context party-b (the API server would refuse ours: \"provided port is already "
        "allocated\"); nothing was changed. Choose a free port from 30000 to 32767 (`pulumi config set --path "
        "party.exposure.nodePorts.pulsarTls <port>`; `kubectl get services --all-namespaces` shows the ones "
        "taken), or remove it to let Kubernetes pick one (`pulumi config rm --path party.exposure.nodePorts.pulsarTls`)"]
    assert party_node_ports(PartyConfig.model_validate({"partyId": 10000, "exposure": NODE_PORT})) == []
