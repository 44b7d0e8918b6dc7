"""The local all-in-one stack: exchange + parties in ONE cluster (kind, minikube, k3d, Docker Desktop).

The same components as the federation, wired directly instead of through StackReferences, with service
DNS instead of load balancers. The parties' CSRs are made and signed in one program, so the whole
bootstrap (exchange, party, exchange, party) is a single `pulumi up`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.fate_cluster import ExchangeView, FateCluster, FateClusterArgs, PulsarCertificate
from components.fateconf.settings import Endpoint, PulsarExchange
from components.federation_pki import party_key
from components.federation_routes import Member
from facts import ports
from facts.names import (
    EXCHANGE_NGINX_SERVICE,
    NGINX_SERVICE,
    PULSAR_PUBLIC_SERVICE,
    TRAFFIC_SERVER_SERVICE,
    cluster_dns,
)
from specs.common import IN_CLUSTER
from specs.loading import StackSecrets, StackSettings
from specs.party import PartyConfig
from stacks import contract
from stacks.exchange import deploy_exchange, exchange_outputs
from stacks.party import party_outputs
from stacks.kept_secrets import kept_mysql_credentials
from stacks.live_claims import check_claim_sizes, claims_resizable, party_claims
from stacks.namespaces import check_namespaces, exchange_namespaces, party_namespaces
from stacks.provider import kubernetes_provider, plugin_gate


def local_member(party: PartyConfig, csr_pem: pulumi.Input[str] | None) -> Member:
    namespace = party.resolved_namespace
    return Member(
        party_id=party.party_id,
        source=f"local party {party.party_id}",
        pulsar_tls_host=cluster_dns(PULSAR_PUBLIC_SERVICE, namespace, party.cluster_domain),
        pulsar_tls_port=ports.PULSAR_BROKER_TLS,
        nginx=Endpoint(host=cluster_dns(NGINX_SERVICE, namespace, party.cluster_domain),
                       http_port=ports.NGINX_HTTP, grpc_port=ports.NGINX_GRPC),
        csr_pem=csr_pem,
        csr_checked=False,
    )


async def run(settings: StackSettings, secrets: StackSecrets) -> dict[str, Any]:
    local = settings.local
    assert local is not None
    await check_namespaces(
        exchange_namespaces(local.resolved_exchange, "local.exchange")
        + [n for i, p in enumerate(local.parties) for n in party_namespaces(p, f"local.parties[{i}]")],
        settings.kubernetes, secrets.kubeconfig)
    await check_claim_sizes([c for i, p in enumerate(local.parties) for c in party_claims(p, f"local.parties[{i}]")],
                            settings.kubernetes, secrets.kubeconfig)
    kept_credentials = [await kept_mysql_credentials(p, settings.kubernetes, secrets.kubeconfig, f"local.parties[{i}]")
                        for i, p in enumerate(local.parties)]
    provider = kubernetes_provider("local", settings.kubernetes, secrets.kubeconfig, required=False,
                                   wait_for=plugin_gate("local"))
    opts = pulumi.ResourceOptions(provider=provider)
    in_cluster = {"exposure": IN_CLUSTER, "cluster_domain": local.cluster_domain}
    exchange_config = local.resolved_exchange.model_copy(update={**in_cluster, "parties": []})
    domain = exchange_config.domain
    parties = [p.model_copy(update=in_cluster) for p in local.parties]

    keys = {p.party_id: party_key(f"broker-{p.party_id}", p.party_id, domain, opts) for p in parties}
    members = [local_member(p, keys[p.party_id].csr_pem) for p in parties]
    await_timeout = settings.kubernetes.await_timeout_seconds
    exchange, routes, ca_cert = deploy_exchange(exchange_config, members, [], opts, await_timeout)

    # Signed in this very program: the party's view needs no CA or certificate read from a stack.
    view = ExchangeView(
        nginx=Endpoint(host=cluster_dns(EXCHANGE_NGINX_SERVICE, exchange_config.namespace, local.cluster_domain),
                       http_port=ports.NGINX_HTTP, grpc_port=ports.NGINX_GRPC),
        pulsar=PulsarExchange(proxy_host=cluster_dns(TRAFFIC_SERVER_SERVICE, exchange_config.namespace,
                                                          local.cluster_domain),
                              proxy_port=ports.TRAFFIC_SERVER_TLS, domain=domain),
    )
    party_outputs_by_id: dict[str, Any] = {}
    passwords: dict[str, Any] = {}
    for index, party in enumerate(parties):
        key = keys[party.party_id]
        certificate = routes.parties[str(party.party_id)]["certificatePem"]
        cluster = FateCluster(
            f"party-{party.party_id}",
            FateClusterArgs(party=party, exchange=view,
                            pulsar_certificate=PulsarCertificate(certificate, key.private_key_pkcs8_pem, ca_cert),
                            await_timeout_seconds=await_timeout,
                            resize_claims=claims_resizable(settings.kubernetes),
                            config_path=f"local.parties[{index}]",
                            kept_mysql_credentials=kept_credentials[index]),
            opts=opts,
        )
        outputs = party_outputs(party, cluster, key, view, {})
        # Signed in this very program: joined as soon as the objects exist.
        outputs["joinStatus"] = contract.JOIN_JOINED
        party_outputs_by_id[str(party.party_id)] = outputs
        passwords[str(party.party_id)] = cluster.fateboard_password
    return {
        "schemaVersion": contract.SCHEMA_VERSION,
        "role": "local",
        "exchange": exchange_outputs(exchange_config, exchange, routes, ca_cert),
        "parties": party_outputs_by_id,
        "fateboardPasswords": passwords,
    }
