"""The party stack: one organisation's FATE cluster, joined to the federation through the exchange.

Reads config and the exchange stack's outputs, wires components, returns the outputs contract.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.fate_cluster import ExchangeView, FateCluster, FateClusterArgs, PulsarCertificate
from components.fate_job import FateJob
from components.fateconf.csr import certificate_matches_key
from components.fateconf.fate_dag import load_dag_file, toy_example_dag
from components.fateconf.settings import Endpoint, PulsarExchange
from components.federation_pki import KeyAndRequest, party_key
from components.kubefate_service import KubefateService
from specs.errors import config_error, config_key
from specs.loading import StackSecrets, StackSettings
from specs.party import ExchangeLink, PartyConfig
from stacks import contract
from stacks.provider import kubernetes_provider


async def read_exchange(link: ExchangeLink, party_id: int) -> ExchangeView | contract.Pending:
    """The exchange as this party sees it; Pending while the exchange stack has no outputs or no address."""
    if link.static is not None:
        static = link.static
        return ExchangeView(
            nginx=Endpoint(host=static.nginx.host, http_port=static.nginx.http_port, grpc_port=static.nginx.grpc_port),
            pulsar=PulsarExchange(proxy_host=static.traffic_server.host, proxy_port=static.traffic_server.port,
                                  domain=static.domain),
            ca_cert_pem=static.ca_cert_pem,
            certificate_pem=static.certificate_pem,
            stack=None,
        )
    assert link.stack is not None
    outputs = await contract.read_stack("exchange", link.stack, "exchange")
    if isinstance(outputs, contract.Pending):
        return outputs
    if int(outputs["partyId"]) == party_id:
        raise contract.ContractError(
            f"{config_key('party.partyId')} {party_id} is the exchange's own party id: give this party another id"
        )
    nginx = outputs["endpoints"].get("nginx") or {}
    ats = outputs["endpoints"].get("trafficServer") or {}
    if not nginx.get("host") or not ats.get("host"):
        return contract.Pending(link.stack, f"exchange {link.stack} has no public address yet (load balancer pending)")
    member = (outputs.get("parties") or {}).get(str(party_id)) or {}
    return ExchangeView(
        nginx=Endpoint(host=nginx["host"], http_port=int(nginx["httpPort"]), grpc_port=int(nginx["grpcPort"])),
        pulsar=PulsarExchange(proxy_host=ats["host"], proxy_port=int(ats["port"]), domain=outputs["domain"]),
        ca_cert_pem=outputs.get("caCertPem"),
        certificate_pem=member.get("certificatePem"),
        stack=link.stack,
    )


def join_status(
    exchange: ExchangeView | contract.Pending, key: KeyAndRequest
) -> pulumi.Output[str]:
    """awaiting-exchange -> awaiting-certificate -> joined, as the bootstrap moves on."""
    if isinstance(exchange, contract.Pending):
        return pulumi.Output.from_input(contract.JOIN_AWAITING_EXCHANGE)
    certificate = exchange.certificate_pem
    if not certificate or not exchange.ca_cert_pem:
        return pulumi.Output.from_input(contract.JOIN_AWAITING_CERTIFICATE)

    def status(public_key: str) -> str:
        if certificate_matches_key(certificate, public_key):
            return contract.JOIN_JOINED
        pulumi.log.warn("the exchange signed an older key of this party: run `pulumi up` on the exchange stack")
        return contract.JOIN_AWAITING_CERTIFICATE

    return key.public_key_pem.apply(status)


def party_outputs(party: PartyConfig, cluster: FateCluster, key: KeyAndRequest,
                  exchange: ExchangeView | contract.Pending, extra: dict[str, Any]) -> dict[str, Any]:
    """The party side of the outputs contract (docs/outputs.md)."""
    ingress = party.ingress
    web = (lambda service: f"https://{party.party_id}.{service}.{ingress.domain}") if ingress.enabled else (
        lambda service: None)
    return {
        "schemaVersion": contract.SCHEMA_VERSION,
        "role": "party",
        "partyId": party.party_id,
        "namespace": cluster.namespace,
        "fateVersion": party.fate_version,
        "endpoints": {
            "nginx": {"host": cluster.nginx_host, "httpPort": cluster.nginx_http_port,
                      "grpcPort": cluster.nginx_grpc_port},
            "pulsarTls": {"host": cluster.pulsar_tls_host, "port": cluster.pulsar_tls_port},
            "fateflow": party.fateflow_url,
            "fateboard": web("fateboard"),
            "notebook": web("notebook"),
        },
        "csrPem": key.csr_pem,
        "joinStatus": join_status(exchange, key),
        "exchange": {
            "stack": None if isinstance(exchange, contract.Pending) else exchange.stack,
            "pending": exchange.reason if isinstance(exchange, contract.Pending) else None,
        },
        **extra,
    }


def load_job_dags(party: PartyConfig) -> dict[str, dict[str, Any]]:
    """Every declared job's DAG, read and validated before any resource is registered."""
    dags = {}
    problems = []
    for index, job in enumerate(party.jobs):
        try:
            dags[job.name] = load_dag_file(job.dag_file)
        except ValueError as error:
            problems.append(f"{config_key(f'party.jobs[{index}].dagFile')}: {error}")
    if problems:
        raise config_error(*problems)
    return dags


def declare_jobs(party: PartyConfig, dags: dict[str, dict[str, Any]], joined: bool, cluster: FateCluster,
                 opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The stack's FATE jobs, run once the cluster is up; the toy verification job once the party joined."""
    job_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster]))
    jobs: dict[str, FateJob] = {}
    for job in party.jobs:
        jobs[job.name] = FateJob(f"job-{job.name}", {
            "endpoint": party.fateflow_url, "dag": dags[job.name], "party_id": party.party_id, "wait": job.wait,
            "timeout_s": job.timeout_s,
        }, opts=job_opts)
    verification = party.verification
    if verification.enabled and verification.peer_party_id is not None:
        if joined:
            jobs["verification"] = FateJob("verification", {
                "endpoint": party.fateflow_url,
                "dag": toy_example_dag(party.party_id, verification.peer_party_id),
                "party_id": party.party_id,
                "timeout_s": verification.timeout_s,
            }, opts=job_opts)
        else:
            pulumi.log.warn("the verification job waits until this party has joined the federation")
    return {name: {"jobId": job.job_id, "status": job.status, "modelId": job.model_id}
            for name, job in jobs.items()}


async def run(settings: StackSettings, secrets: StackSecrets) -> dict[str, Any]:
    party = settings.party
    link = settings.exchange_link
    assert party is not None and link is not None
    dags = load_job_dags(party)
    exchange = await read_exchange(link, party.party_id)
    if isinstance(exchange, contract.Pending):
        pulumi.log.warn(f"party {party.party_id} deploys without federation routes: {exchange.reason}")
    provider = kubernetes_provider(f"party-{party.party_id}", settings.kubernetes, secrets.kubeconfig, required=True)
    opts = pulumi.ResourceOptions(provider=provider)
    ready = not isinstance(exchange, contract.Pending)
    own_pki = party.pki.existing_secret
    # With its own PKI the party makes no key: no CSR is exported, nothing is signed by the exchange.
    key = party_key("broker", party.party_id, exchange.domain if ready and not own_pki else None, opts)
    certificate: PulsarCertificate | str | None = own_pki
    if own_pki is None and ready and exchange.certificate_pem and exchange.ca_cert_pem:
        certificate = PulsarCertificate(exchange.certificate_pem, key.private_key_pkcs8_pem, exchange.ca_cert_pem)
    cluster = FateCluster(
        f"party-{party.party_id}",
        FateClusterArgs(party=party, exchange=exchange if ready else None, pulsar_certificate=certificate,
                        external_mysql_password=secrets.external_mysql_password),
        opts=opts,
    )
    extra: dict[str, Any] = {}
    if party.kubefate.enabled:
        kubefate = KubefateService(
            f"party-{party.party_id}-kubefate", party.kubefate,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster])),
            registry=party.registry, image_pull_secrets=tuple(party.image_pull_secrets),
            storage_class=party.persistence.storage_class)
        extra["kubefate"] = {"url": kubefate.url, "username": kubefate.username}
        extra["kubefatePassword"] = kubefate.password
    extra["jobs"] = declare_jobs(party, dags, certificate is not None, cluster, opts)
    outputs = party_outputs(party, cluster, key, exchange, extra)
    if own_pki is not None:
        outputs["joinStatus"] = contract.JOIN_AWAITING_EXCHANGE if not ready else contract.JOIN_JOINED
    # Secrets stay top-level: a secret nested in a map would make the whole map secret.
    outputs["fateboardPassword"] = cluster.fateboard_password
    return outputs
