"""The exchange stack: the federation CA, the Traffic Server SNI tunnel and nginx, routes to every party."""

from __future__ import annotations

from typing import Any

import pulumi

from components.fate_exchange import FateExchange, FateExchangeArgs
from components.fateconf.settings import Endpoint
from components.federation_pki import FederationCa
from components.federation_routes import FederationRoutes, Member, PendingMember
from specs.errors import config_error, config_key
from specs.exchange import ExchangeConfig, PartyEntry
from specs.federation import fate_mismatch, party_id_problem, same_fate_generation
from specs.loading import StackSecrets, StackSettings
from stacks import contract
from stacks.contract import PKI_OWN
from stacks.namespaces import check_namespaces, exchange_namespaces
from stacks.node_ports import check_node_ports, exchange_node_ports
from stacks.provider import kubernetes_provider, plugin_gate


def _member_from_outputs(entry_stack: str, outputs: dict[str, Any]) -> Member | PendingMember:
    party_id = int(outputs["partyId"])
    endpoints = outputs.get("endpoints") or {}
    pulsar = endpoints.get("pulsarTls") or {}
    nginx = endpoints.get("nginx") or {}
    if not pulsar.get("host") or not pulsar.get("port") or not nginx.get("host") or not nginx.get("httpPort"):
        return PendingMember(entry_stack, f"party {party_id} has no public address yet (load balancer pending)",
                             party_id)
    return Member(
        party_id=party_id,
        source=entry_stack,
        pulsar_tls_host=pulsar["host"],
        pulsar_tls_port=int(pulsar["port"]),
        nginx=Endpoint(host=nginx["host"], http_port=int(nginx["httpPort"]), grpc_port=int(nginx["grpcPort"])),
        csr_pem=outputs.get("csrPem"),
        own_pki=outputs.get("pki") == PKI_OWN,
    )


def _member_from_static(entry: PartyEntry) -> Member:
    static = entry.static
    assert static is not None
    return Member(
        party_id=static.party_id,
        source=f"static party {static.party_id}",
        pulsar_tls_host=static.pulsar_tls.host,
        pulsar_tls_port=static.pulsar_tls.port,
        nginx=Endpoint(host=static.nginx.host, http_port=static.nginx.http_port, grpc_port=static.nginx.grpc_port),
        csr_pem=static.csr_pem,
    )


async def read_members(config: ExchangeConfig) -> tuple[list[Member], list[PendingMember]]:
    """Every listed party, read and checked before any resource is registered."""
    members: list[Member] = []
    pending: list[PendingMember] = []
    for index, entry in enumerate(config.parties):
        if entry.static is not None:
            members.append(_member_from_static(entry))
            continue
        assert entry.stack is not None
        outputs = await contract.read_stack(f"party-ref-{index}-{entry.stack.split('/')[-1]}", entry.stack, "party")
        if isinstance(outputs, contract.Pending):
            pending.append(PendingMember(entry.stack, outputs.reason))
            continue
        version = outputs.get("fateVersion")
        if version and not same_fate_generation(str(version), config.nginx_fate_version):
            # The party's state, not this stack's config: hold it unrouted (a rolling FATE upgrade passes
            # through this) rather than fail the exchange and every party's route with it.
            party_id = int(outputs["partyId"])
            reason = fate_mismatch(f"party {party_id}", str(version), config.nginx_fate_version)
            pulumi.log.warn(f"{entry.stack}: pending, not routed: {reason}")
            pending.append(PendingMember(entry.stack, reason, party_id))
            continue
        found = _member_from_outputs(entry.stack, outputs)
        (members if isinstance(found, Member) else pending).append(found)  # type: ignore[arg-type]
    check_member_ids(config, members, pending)
    return members, pending


def check_member_ids(config: ExchangeConfig, members: list[Member], pending: list[PendingMember]) -> None:
    """The party ids the party stacks export, checked as the config's own (specs.federation)."""
    problem = party_id_problem(
        [(m.party_id, m.source) for m in members] + [(p.party_id, p.source) for p in pending if p.party_id is not None],
        config.party_id)
    if problem:
        raise config_error(f"{config_key('exchange.parties')}: {problem}")


def exchange_outputs(config: ExchangeConfig, exchange: FateExchange, routes: FederationRoutes,
                     ca_cert_pem: pulumi.Input[str | None]) -> dict[str, Any]:
    """The exchange side of the outputs contract (docs/outputs.md)."""
    return {
        "schemaVersion": contract.SCHEMA_VERSION,
        "role": "exchange",
        "partyId": config.party_id,
        "domain": config.domain,
        "namespace": exchange.namespace,
        "endpoints": {
            "nginx": {"host": exchange.nginx_host, "httpPort": exchange.nginx_http_port,
                      "grpcPort": exchange.nginx_grpc_port},
            "trafficServer": {"host": exchange.traffic_server_host, "port": exchange.traffic_server_port},
        },
        "caCertPem": ca_cert_pem,
        "parties": routes.parties,
        "pendingParties": routes.pending,
    }


def deploy_exchange(config: ExchangeConfig, members: list[Member], pending: list[PendingMember],
                    opts: pulumi.ResourceOptions, await_timeout_seconds: int | None = None,
                    ) -> tuple[FateExchange, FederationRoutes, pulumi.Input[str | None]]:
    """CA, routes and the exchange workloads; shared by the exchange stack and the local stack."""
    ca = FederationCa("federation-ca", config.domain, config.pki.ca_validity_hours, opts) \
        if config.pki.mode == "managed" else None
    routes = FederationRoutes(
        "federation-routes", domain=config.domain, ca=ca, members=members, pending=pending,
        certificate_validity_hours=config.pki.certificate_validity_hours, opts=opts,
    )
    exchange = FateExchange("exchange", FateExchangeArgs(config=config, routes=routes, ca=ca,
                                                         await_timeout_seconds=await_timeout_seconds), opts=opts)
    return exchange, routes, (ca.certificate_pem if ca else exchange.existing_ca_cert_pem)


async def run(settings: StackSettings, secrets: StackSecrets) -> dict[str, Any]:
    config = settings.exchange
    assert config is not None
    members, pending = await read_members(config)
    await check_namespaces(exchange_namespaces(config), settings.kubernetes, secrets.kubeconfig)
    await check_node_ports(exchange_node_ports(config), settings.kubernetes, secrets.kubeconfig)
    provider = kubernetes_provider("exchange", settings.kubernetes, secrets.kubeconfig, required=True,
                                   wait_for=plugin_gate("exchange"))
    exchange, routes, ca_cert = deploy_exchange(config, members, pending, pulumi.ResourceOptions(provider=provider),
                                                settings.kubernetes.await_timeout_seconds)
    return exchange_outputs(config, exchange, routes, ca_cert)
