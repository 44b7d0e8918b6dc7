"""A party stack's config: its FATE cluster, engines, volumes, exposure, PKI, jobs, and its exchange."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator, model_validator

from facts import ports
from facts.names import CLUSTER_DOMAIN, FATEBOARD_SERVICE, default_party_namespace
from facts.sizing import Sizing
from facts.versions import DEFAULT_FATE_VERSION, is_fate_2
from specs.common import PARTY_NODE_PORTS, Exposure, StaticEndpoint, StaticNginx
from specs.errors import config_key
from specs.jobs import JobConfig, VerificationConfig, repeated_job_names
from specs.sizing import production_size_problem
from specs.spark import spark_pool_problem
from specs.values import (
    DnsLabel,
    DnsName,
    FateVersion,
    FederationDomain,
    HdfsUrl,
    Host,
    MAX_DNS_NAME,
    HttpBaseUrl,
    Model,
    Namespace,
    PartyId,
    Port,
    Quantity,
    Registry,
    ReplicaCount,
    SingleLine,
    SparkMasterUrl,
    StackName,
    VolumeSize,
)

STATEFUL_MODULES = ("mysql", "fateflow", "client", "pulsar", "namenode", "datanode")
PARTY_MODULES = ("mysql", "fateflow", "nginx", "pulsar", "fateboard", "client", "spark-master", "spark-worker",
                 "namenode", "datanode")
"""The workloads of a party's FATE cluster (components.fate_cluster), the keys of `party.resources`."""


class Persistence(Model):
    """Stateful volumes. They outlive `pulumi destroy` unless retainOnDestroy is false."""

    enabled: bool = True
    storage_class: DnsName | None = None
    retain_on_destroy: bool = True
    sizes: dict[Literal[STATEFUL_MODULES], VolumeSize] = {}  # type: ignore[valid-type]
    existing_claims: dict[Literal[STATEFUL_MODULES], DnsLabel] = {}  # type: ignore[valid-type]

    @field_validator("existing_claims")
    @classmethod
    def _claims_need_persistence(cls, claims: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if claims and info.data.get("enabled") is False:
            raise ValueError("existing claims are mounted only with persistence on, but persistence.enabled is "
                             "false: set persistence.enabled: true, or remove existingClaims")
        return claims


class Ingress(Model):
    """Ingress for fateboard and notebook: hosts `<partyId>.fateboard.<domain>`, `<partyId>.notebook.<domain>`."""

    enabled: bool = False
    class_name: DnsName = "nginx"
    domain: DnsName | None = None
    tls_secret: DnsLabel | None = None

    @model_validator(mode="after")
    def _domain_when_enabled(self) -> Ingress:
        if self.enabled and not self.domain:
            raise ValueError("domain is required when the ingress is enabled (e.g. ingress.domain: fate.example.org)")
        return self


class Notebook(Model):
    """The client image's Jupyter notebook (a shell in the party's network). Off unless asked for; when on
    it gets a generated password (output `notebookPassword`, secret) instead of the image's empty one."""

    enabled: bool = False


class ResourceSizing(Model):
    cpu: Quantity
    memory: Quantity


class ExternalSpark(Model):
    master: SparkMasterUrl


class ExternalHdfs(Model):
    name_node: HdfsUrl


class ExternalPulsar(Model):
    host: Host
    port: Port = ports.PULSAR_BROKER
    ssl_port: Port = ports.PULSAR_BROKER_TLS
    mng_port: Port = ports.PULSAR_WEB


class ExternalMysql(Model):
    """The password is read from the secret key `fate-federation:externalMysqlPassword` (specs.loading)."""

    host: Host
    port: Port = ports.MYSQL
    database: SingleLine = "fate_flow"
    user: SingleLine = "fate"


class SparkConfig(Model):
    workers: ReplicaCount = 2
    external: ExternalSpark | None = None


class HdfsConfig(Model):
    datanodes: ReplicaCount = 3
    external: ExternalHdfs | None = None


class PulsarConfig(Model):
    external: ExternalPulsar | None = None


class MysqlConfig(Model):
    external: ExternalMysql | None = None


class KubefateConfig(Model):
    """The optional KubeFATE service for teams that still drive KubeFATE's CLI or API."""

    enabled: bool = False
    namespace: Namespace = "kube-fate"
    rbac_scope: Literal["cluster", "namespaces"] = "cluster"
    namespaces: list[DnsLabel] = []
    ingress_host: DnsName | None = None

    @model_validator(mode="after")
    def _namespaces_for_scoped_rbac(self) -> KubefateConfig:
        if self.rbac_scope == "namespaces" and not self.namespaces:
            raise ValueError(
                "namespaces must list the namespaces KubeFATE may manage when rbacScope is 'namespaces' "
                "(e.g. kubefate.namespaces: [fate-9999])"
            )
        return self


class PartyPki(Model):
    """Bring your own PKI: an existing Secret in the party's namespace with broker.cert.pem,
    broker.key-pk8.pem (PKCS#8) and ca.cert.pem; the party then exports no CSR and uses that Secret."""

    existing_secret: DnsLabel | None = None


class StaticExchange(Model):
    """An exchange not managed with Pulumi (e.g. run by another organisation)."""

    domain: FederationDomain
    traffic_server: StaticEndpoint
    nginx: StaticNginx
    ca_cert_pem: str | None = None
    certificate_pem: str | None = None


class ExchangeLink(Model):
    """Where a party finds the exchange: its stack (StackReference) or static addresses."""

    stack: StackName | None = None
    static: StaticExchange | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExchangeLink:
        if (self.stack is None) == (self.static is None):
            raise ValueError(
                "set exactly one of exchange.stack (e.g. organization/fate-federation/exchange) "
                "or exchange.static (domain, trafficServer, nginx, caCertPem)"
            )
        return self


class PartyConfig(Model):
    party_id: PartyId
    namespace: Namespace | None = None
    fate_version: FateVersion = DEFAULT_FATE_VERSION
    exposure: Exposure = Exposure()
    persistence: Persistence = Persistence()
    ingress: Ingress = Ingress()
    notebook: Notebook = Notebook()
    cluster_domain: DnsName = CLUSTER_DOMAIN
    """The cluster's DNS domain (kubelet clusterDomain): FATE Flow binds to its pod's name under it."""
    registry: Registry = ""
    image_pull_secrets: list[DnsLabel] = []
    sizing: Sizing = "dev"
    resources: dict[Literal[PARTY_MODULES], ResourceSizing] = {}  # type: ignore[valid-type]
    spark: SparkConfig = SparkConfig()
    hdfs: HdfsConfig = HdfsConfig()
    pulsar: PulsarConfig = PulsarConfig()
    mysql: MysqlConfig = MysqlConfig()
    kubefate: KubefateConfig = KubefateConfig()
    pki: PartyPki = PartyPki()
    fateflow_url: HttpBaseUrl = None
    """The FATE Flow URL the machine running Pulumi reaches (ingress, VPN or port-forward); jobs use it."""
    jobs: list[JobConfig] = []
    verification: VerificationConfig = VerificationConfig()
    fateboard_username: SingleLine = "admin"

    @model_validator(mode="after")
    def _jobs_need_endpoint(self) -> PartyConfig:
        if (self.jobs or self.verification.enabled) and not self.fateflow_url:
            raise ValueError(
                "fateflowUrl is required to run jobs or the verification job: set it to the FATE Flow URL this "
                "machine reaches (e.g. http://127.0.0.1:9380 with `kubectl port-forward svc/fateflow 9380`)"
            )
        return self

    @field_validator("jobs")
    @classmethod
    def _unique_job_names(cls, jobs: list[JobConfig]) -> list[JobConfig]:
        duplicates = repeated_job_names(jobs)
        if duplicates:
            raise ValueError(f"job names must be unique; repeated: {', '.join(duplicates)}")
        return jobs

    @model_validator(mode="after")
    def _own_node_ports(self) -> PartyConfig:
        problem = self.exposure.node_port_problem(PARTY_NODE_PORTS, "a party")
        if problem:
            raise ValueError(f"exposure.{problem}")
        return self

    @model_validator(mode="after")
    def _kubefate_has_its_own_namespace(self) -> PartyConfig:
        if self.kubefate.enabled and self.kubefate.namespace == self.resolved_namespace:
            raise ValueError(
                f"kubefate.namespace is the party's namespace {self.resolved_namespace}: give KubeFATE its own "
                "(e.g. kube-fate)")
        return self

    @model_validator(mode="after")
    def _production_sizes(self) -> PartyConfig:
        if self.sizing != "production":
            return self
        problem = production_size_problem(
            dict(self.persistence.sizes), {module: (r.cpu, r.memory) for module, r in self.resources.items()})
        if problem:
            raise ValueError(problem)
        return self

    def problems(self, key: str) -> list[str]:
        """What this party's settings contradict, each as `<config key>: <problem and fix>` (`key`: where
        the party sits in the config, e.g. `party` or `local.parties[0]`)."""
        found = []
        if self.spark.external is None:
            spark = spark_pool_problem(workers=self.spark.workers, sizing=self.sizing, fate_version=self.fate_version,
                                       override=self.resources_override("spark-worker"), key=config_key(key))
            if spark:
                found.append(spark)
        if self.ingress.enabled and self.ingress.domain:
            host = f"{self.party_id}.{FATEBOARD_SERVICE}.{self.ingress.domain}"
            if len(host) > MAX_DNS_NAME:
                found.append(f"{config_key(key + '.ingress.domain')}: the ingress host {host[:24]}... would be "
                             f"{len(host)} characters, and DNS names have at most {MAX_DNS_NAME}: use a shorter "
                             "domain")
        if self.verification.enabled and self.verification.peer_party_id == self.party_id:
            found.append(f"{config_key(key + '.verification.peerPartyId')}: {self.party_id} is this party itself: "
                         "name another party of the federation (e.g. 10000)")
        fate_1 = not is_fate_2(self.fate_version)
        for index, job in enumerate(self.jobs):
            if fate_1 and not job.is_fate_1:
                found.append(f"{config_key(f'{key}.jobs[{index}].dagFile')}: a FATE 2.x DAG, but fateVersion is "
                             f"{self.fate_version} and FATE Flow 1.x runs FATE 1.x jobs only: give the job as "
                             "dslFile and runtimeConfFile")
            if not fate_1 and job.is_fate_1:
                found.append(f"{config_key(f'{key}.jobs[{index}].dslFile')}: a FATE 1.x job, but fateVersion is "
                             f"{self.fate_version}: give the job as a FATE 2.x DAG in dagFile")
        return found

    @property
    def resolved_namespace(self) -> str:
        return self.namespace or default_party_namespace(self.party_id)

    def resources_override(self, module: str) -> tuple[str, str] | None:
        """The user's (cpu, memory) for a module, or None for the sizing preset."""
        sizing = self.resources.get(module)
        return (sizing.cpu, sizing.memory) if sizing else None
