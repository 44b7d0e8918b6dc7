"""The party stack: one organisation's FATE cluster, joined to the federation through the exchange.

Reads config and the exchange stack's outputs, wires components, returns the outputs contract.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.fate_cluster import ExchangeView, FateCluster, FateClusterArgs, PulsarCertificate
from components.fate_job import FateJob
from components.fateconf.csr import certificate_matches_key, certificate_name_problem
from components.fateconf.fate_dag import (
    dag_parties,
    load_dag_file,
    load_v1_job,
    toy_example_dag,
    toy_example_v1,
    v1_job_parties,
)
from components.fateconf.settings import Endpoint, PulsarExchange
from components.federation_pki import KeyAndRequest, party_key
from components.kubefate_service import KubefateService
from specs.errors import config_error, config_key
from specs.loading import StackSecrets, StackSettings
from facts.versions import is_fate_2
from specs.party import ExchangeLink, PartyConfig
from stacks import contract
from stacks.namespaces import check_namespaces, party_namespaces
from stacks.kept_secrets import kept_mysql_credentials
from stacks.live_claims import check_claim_sizes, claims_resizable, party_claims
from stacks.node_ports import check_node_ports, party_node_ports
from stacks.provider import kubernetes_provider, plugin_gate


def federation_party_ids(outputs: dict[str, Any]) -> frozenset[int] | None:
    """The party ids an exchange stack's outputs list (routed, refused or pending), or None while a pending
    member's id is not known yet."""
    pending = outputs.get("pendingParties")
    if pending is None or any(entry.get("partyId") is None for entry in pending):
        return None
    return frozenset(int(i) for i in outputs.get("parties") or {}) | {int(entry["partyId"]) for entry in pending}


async def read_exchange(link: ExchangeLink, party_id: int) -> tuple[ExchangeView | contract.Pending,
                                                                   frozenset[int] | None]:
    """The exchange as this party sees it (Pending while the exchange stack has no outputs or no address),
    and the federation's party ids where the exchange stack lists them."""
    if link.static is not None:
        static = link.static
        return ExchangeView(
            nginx=Endpoint(host=static.nginx.host, http_port=static.nginx.http_port, grpc_port=static.nginx.grpc_port),
            pulsar=PulsarExchange(proxy_host=static.traffic_server.host, proxy_port=static.traffic_server.port,
                                  domain=static.domain),
            ca_cert_pem=static.ca_cert_pem,
            certificate_pem=static.certificate_pem,
            stack=None,
        ), None
    assert link.stack is not None
    outputs = await contract.read_stack("exchange", link.stack, "exchange")
    if isinstance(outputs, contract.Pending):
        return outputs, None
    if int(outputs["partyId"]) == party_id:
        raise contract.ContractError(
            f"{config_key('party.partyId')} {party_id} is the exchange's own party id: give this party another id"
        )
    nginx = outputs["endpoints"].get("nginx") or {}
    ats = outputs["endpoints"].get("trafficServer") or {}
    if not nginx.get("host") or not ats.get("host"):
        return contract.Pending(link.stack, f"exchange {link.stack} has no public address yet (load balancer pending)"), \
            federation_party_ids(outputs)
    member = (outputs.get("parties") or {}).get(str(party_id)) or {}
    return ExchangeView(
        nginx=Endpoint(host=nginx["host"], http_port=int(nginx["httpPort"]), grpc_port=int(nginx["grpcPort"])),
        pulsar=PulsarExchange(proxy_host=ats["host"], proxy_port=int(ats["port"]), domain=outputs["domain"]),
        ca_cert_pem=outputs.get("caCertPem"),
        certificate_pem=member.get("certificatePem"),
        stack=link.stack,
    ), federation_party_ids(outputs)


def static_certificate(certificate_pem: str, public_key_pem: str | None) -> str:
    """A static exchange's certificate for this party, refused unless it was issued for the party's key:
    installed anyway, Pulsar would switch to TLS with a certificate its key cannot use."""
    if public_key_pem and certificate_matches_key(certificate_pem, public_key_pem):
        return certificate_pem
    raise config_error(
        f"{config_key('exchange.static.certificatePem')}: this certificate was not issued for this party's broker "
        "key. Send the CSR this stack exports (`pulumi stack output csrPem`) to the exchange's operator and set "
        "exchange.static.certificatePem to the certificate they sign for it; until then leave it unset (Pulsar "
        "runs without TLS and the party waits as awaiting-certificate)")


def join_status(
    exchange: ExchangeView | contract.Pending, key: KeyAndRequest
) -> pulumi.Output[str]:
    # A static exchange's certificate was checked against the key in run(); a mismatch stops there.
    """awaiting-exchange -> awaiting-certificate -> joined, as the bootstrap moves on."""
    if isinstance(exchange, contract.Pending):
        return pulumi.Output.from_input(contract.JOIN_AWAITING_EXCHANGE)
    certificate = exchange.certificate_pem
    if not certificate or not exchange.ca_cert_pem:
        return pulumi.Output.from_input(contract.JOIN_AWAITING_CERTIFICATE)

    def status(public_key: str) -> str:
        if certificate_matches_key(certificate, public_key):
            return contract.JOIN_JOINED
        if exchange.stack is not None:
            pulumi.log.warn("the exchange signed an older key of this party: run `pulumi up` on the exchange stack")
        return contract.JOIN_AWAITING_CERTIFICATE

    return key.public_key_pem.apply(status)


def party_outputs(party: PartyConfig, cluster: FateCluster, key: KeyAndRequest,
                  exchange: ExchangeView | contract.Pending, extra: dict[str, Any]) -> dict[str, Any]:
    """The party side of the outputs contract (docs/outputs.md)."""
    ingress = party.ingress
    scheme = "https" if ingress.tls_secret else "http"  # the ingress serves TLS only with a certificate
    web = (lambda service: f"{scheme}://{party.party_id}.{service}.{ingress.domain}") if ingress.enabled else (
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
            "notebook": web("notebook") if party.notebook.enabled else None,
        },
        "csrPem": key.csr_pem,
        "joinStatus": join_status(exchange, key),
        "exchange": {
            "stack": None if isinstance(exchange, contract.Pending) else exchange.stack,
            "pending": exchange.reason if isinstance(exchange, contract.Pending) else None,
        },
        **extra,
    }


JobDefinition = dict[str, Any]
"""What a FateJob runs: {"dag": ...} (FATE 2.x) or {"dsl": ..., "runtime_conf": ...} (FATE 1.x)."""


def _job_key(index: int, fate_1: bool) -> str:
    return config_key(f"party.jobs[{index}].{'runtimeConfFile' if fate_1 else 'dagFile'}")


def load_jobs(party: PartyConfig) -> dict[str, JobDefinition]:
    """Every declared job's definition, read and validated before any resource is registered: readable,
    well formed, and naming this party (its FATE Flow submits the job)."""
    definitions: dict[str, JobDefinition] = {}
    problems = []
    for index, job in enumerate(party.jobs):
        try:
            if job.is_fate_1:
                dsl, conf = load_v1_job(job.dsl_file, job.runtime_conf_file)  # type: ignore[arg-type]
                definitions[job.name] = {"dsl": dsl, "runtime_conf": conf}
            else:
                definitions[job.name] = {"dag": load_dag_file(job.dag_file)}  # type: ignore[arg-type]
        except ValueError as error:
            hint = ""
            if "FATE 1.x job" in str(error):
                hint = " (on a FATE 1.x party, give a 1.x job as dslFile and runtimeConfFile)"
            key = config_key(f"party.jobs[{index}].{'dslFile' if job.is_fate_1 else 'dagFile'}")
            problems.append(f"{key}: {error}{hint}")
            continue
        parties = job_parties(definitions[job.name])
        if party.party_id not in {i for ids in parties.values() for i in ids}:
            problems.append(f"{_job_key(index, job.is_fate_1)}: the job's parties ({describe_parties(parties)}) leave "
                            f"out this party {party.party_id}, whose FATE Flow submits it: list {party.party_id} "
                            "(e.g. as guest), or declare the job in the stack of a party it names")
    if problems:
        raise config_error(*problems)
    return definitions


def job_parties(definition: JobDefinition) -> dict[str, list[int]]:
    """role -> party ids of a job definition."""
    if "dag" in definition:
        return dag_parties(definition["dag"])
    return v1_job_parties(definition["runtime_conf"])


def describe_parties(parties: dict[str, list[int]]) -> str:
    return ", ".join(f"{role} {party_id}" for role, ids in parties.items() for party_id in ids)


def check_federation_members(party: PartyConfig, jobs: dict[str, JobDefinition], members: frozenset[int] | None,
                             exchange_stack: str | None) -> None:
    """Jobs and the verification peer may only name parties of the federation, where the exchange lists it."""
    if members is None:
        return
    members = members | {party.party_id}
    listed = ", ".join(str(i) for i in sorted(members))
    problems = []
    peer = party.verification.peer_party_id
    if party.verification.enabled and peer is not None and peer not in members:
        problems.append(f"{config_key('party.verification.peerPartyId')}: {peer} is not a party of the federation "
                        f"(the exchange {exchange_stack} lists {listed}): name one of them, or add {peer} to the "
                        "exchange first")
    for index, job in enumerate(party.jobs):
        parties = job_parties(jobs[job.name])
        outside = [f"{role} {i}" for role, ids in parties.items() for i in ids if i not in members]
        if outside:
            problems.append(f"{_job_key(index, job.is_fate_1)}: {', '.join(outside)} is not a party of the federation "
                            f"(the exchange {exchange_stack} lists {listed}): fix the job's parties, or add the "
                            "party to the exchange first")
    if problems:
        raise config_error(*problems)


def declare_jobs(party: PartyConfig, definitions: dict[str, JobDefinition], joined: bool, cluster: FateCluster,
                 opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The stack's FATE jobs, run once the cluster is up; the toy verification job once the party joined."""
    job_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster]))
    jobs: dict[str, FateJob] = {}
    for job in party.jobs:
        jobs[job.name] = FateJob(f"job-{job.name}", {  # type: ignore[misc]
            "endpoint": party.fateflow_url, **definitions[job.name], "party_id": party.party_id, "wait": job.wait,
            "timeout_s": job.timeout_s,
        }, opts=job_opts)
    verification = party.verification
    if verification.enabled and verification.peer_party_id is not None:
        if joined:
            # FATE Flow 1.x has no DAG API: its toy job is the 1.x DSL `flow test toy` posts.
            toy: JobDefinition = {"dag": toy_example_dag(party.party_id, verification.peer_party_id)} \
                if is_fate_2(party.fate_version) else \
                dict(zip(("dsl", "runtime_conf"), toy_example_v1(party.party_id, verification.peer_party_id)))
            jobs["verification"] = FateJob("verification", {  # type: ignore[misc]
                "endpoint": party.fateflow_url,
                **toy,
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
    jobs = load_jobs(party)
    exchange, members = await read_exchange(link, party.party_id)
    check_federation_members(party, jobs, members, link.stack)
    if isinstance(exchange, contract.Pending):
        pulumi.log.warn(f"party {party.party_id} deploys without federation routes: {exchange.reason}")
    static = link.static
    if static is not None and static.certificate_pem and party.pki.existing_secret is None:
        problem = certificate_name_problem(static.certificate_pem, party.party_id, static.domain)
        if problem:
            raise config_error(f"{config_key('exchange.static.certificatePem')}: {problem}. Send the CSR this stack "
                               "exports (`pulumi stack output csrPem`) to the exchange's operator and set "
                               "exchange.static.certificatePem to the certificate they sign for it")
    name = f"party-{party.party_id}"
    await check_namespaces(party_namespaces(party), settings.kubernetes, secrets.kubeconfig)
    await check_node_ports(party_node_ports(party), settings.kubernetes, secrets.kubeconfig)
    await check_claim_sizes(party_claims(party), settings.kubernetes, secrets.kubeconfig)
    kept_credentials = await kept_mysql_credentials(party, settings.kubernetes, secrets.kubeconfig)
    provider = kubernetes_provider(name, settings.kubernetes, secrets.kubeconfig, required=True,
                                   wait_for=plugin_gate(name))
    opts = pulumi.ResourceOptions(provider=provider)
    ready = not isinstance(exchange, contract.Pending)
    own_pki = party.pki.existing_secret
    # With its own PKI the party makes no key: no CSR is exported, nothing is signed by the exchange.
    key = party_key("broker", party.party_id, exchange.domain if ready and not own_pki else None, opts)
    certificate: PulsarCertificate | str | None = own_pki
    if own_pki is None and ready and exchange.certificate_pem and exchange.ca_cert_pem:
        signed: pulumi.Input[str] = exchange.certificate_pem
        if link.static is not None:
            signed = key.public_key_pem.apply(lambda public: static_certificate(exchange.certificate_pem, public))
        certificate = PulsarCertificate(signed, key.private_key_pkcs8_pem, exchange.ca_cert_pem)
    cluster = FateCluster(
        f"party-{party.party_id}",
        FateClusterArgs(party=party, exchange=exchange if ready else None, pulsar_certificate=certificate,
                        external_mysql_password=secrets.external_mysql_password,
                        await_timeout_seconds=settings.kubernetes.await_timeout_seconds,
                        resize_claims=claims_resizable(settings.kubernetes),
                        kept_mysql_credentials=kept_credentials),
        opts=opts,
    )
    extra: dict[str, Any] = {}
    if party.kubefate.enabled:
        kubefate = KubefateService(
            f"party-{party.party_id}-kubefate", party.kubefate,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster])),
            registry=party.registry, image_pull_secrets=tuple(party.image_pull_secrets),
            storage_class=party.persistence.storage_class, cluster_domain=party.cluster_domain,
            await_timeout_seconds=settings.kubernetes.await_timeout_seconds)
        extra["kubefate"] = {"url": kubefate.url, "username": kubefate.username}
        extra["kubefatePassword"] = kubefate.password
    extra["jobs"] = declare_jobs(party, jobs, certificate is not None, cluster, opts)
    outputs = party_outputs(party, cluster, key, exchange, extra)
    outputs["pki"] = contract.PKI_OWN if own_pki is not None else contract.PKI_FEDERATION
    if own_pki is not None:
        outputs["joinStatus"] = contract.JOIN_AWAITING_EXCHANGE if not ready else contract.JOIN_JOINED
    # Secrets stay top-level: a secret nested in a map would make the whole map secret.
    outputs["fateboardPassword"] = cluster.fateboard_password
    if cluster.notebook_password is not None:
        outputs["notebookPassword"] = cluster.notebook_password
    return outputs
