"""A party stack's config: its FATE cluster, engines, volumes, exposure, PKI, jobs, and its exchange."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from facts import ports
from facts.names import default_party_namespace
from facts.sizing import Sizing
from facts.versions import DEFAULT_FATE_VERSION
from specs.common import Exposure, StaticEndpoint, StaticNginx
from specs.jobs import JobConfig, VerificationConfig, repeated_job_names
from specs.sizing import production_size_problem
from specs.values import (
    DnsLabel,
    DnsName,
    FateVersion,
    HttpBaseUrl,
    Model,
    PartyId,
    Port,
    PositiveCount,
    Quantity,
    StackName,
)

STATEFUL_MODULES = ("mysql", "fateflow", "client", "pulsar", "namenode", "datanode")


class Persistence(Model):
    """Stateful volumes. They outlive `pulumi destroy` unless retainOnDestroy is false."""

    enabled: bool = True
    storage_class: str | None = None
    retain_on_destroy: bool = True
    sizes: dict[Literal[STATEFUL_MODULES], Quantity] = {}  # type: ignore[valid-type]
    existing_claims: dict[Literal[STATEFUL_MODULES], DnsLabel] = {}  # type: ignore[valid-type]


class Ingress(Model):
    """Ingress for fateboard and notebook: hosts `<partyId>.fateboard.<domain>`, `<partyId>.notebook.<domain>`."""

    enabled: bool = False
    class_name: str = "nginx"
    domain: DnsName | None = None
    tls_secret: DnsLabel | None = None

    @model_validator(mode="after")
    def _domain_when_enabled(self) -> Ingress:
        if self.enabled and not self.domain:
            raise ValueError("domain is required when the ingress is enabled (e.g. ingress.domain: fate.example.org)")
        return self


class ResourceSizing(Model):
    cpu: Quantity
    memory: Quantity


class ExternalSpark(Model):
    master: str = Field(min_length=1, description="e.g. spark://spark.example.org:7077")


class ExternalHdfs(Model):
    name_node: str = Field(min_length=1, description="e.g. hdfs://namenode.example.org:9000")


class ExternalPulsar(Model):
    host: str = Field(min_length=1)
    port: Port = ports.PULSAR_BROKER
    ssl_port: Port = ports.PULSAR_BROKER_TLS
    mng_port: Port = ports.PULSAR_WEB


class ExternalMysql(Model):
    """The password is read from the secret key `fate-federation:externalMysqlPassword` (specs.loading)."""

    host: str = Field(min_length=1)
    port: Port = ports.MYSQL
    database: str = "fate_flow"
    user: str = "fate"


class SparkConfig(Model):
    workers: PositiveCount = 2
    external: ExternalSpark | None = None


class HdfsConfig(Model):
    datanodes: PositiveCount = 3
    external: ExternalHdfs | None = None


class PulsarConfig(Model):
    external: ExternalPulsar | None = None


class MysqlConfig(Model):
    external: ExternalMysql | None = None


class KubefateConfig(Model):
    """The optional KubeFATE service for teams that still drive KubeFATE's CLI or API."""

    enabled: bool = False
    namespace: DnsLabel = "kube-fate"
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

    domain: DnsName
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
    namespace: DnsLabel | None = None
    fate_version: FateVersion = DEFAULT_FATE_VERSION
    exposure: Exposure = Exposure()
    persistence: Persistence = Persistence()
    ingress: Ingress = Ingress()
    registry: str = ""
    image_pull_secrets: list[DnsLabel] = []
    sizing: Sizing = "dev"
    resources: dict[str, ResourceSizing] = {}
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
    fateboard_username: str = "admin"

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

    @property
    def resolved_namespace(self) -> str:
        return self.namespace or default_party_namespace(self.party_id)

    def resources_override(self, module: str) -> tuple[str, str] | None:
        """The user's (cpu, memory) for a module, or None for the sizing preset."""
        sizing = self.resources.get(module)
        return (sizing.cpu, sizing.memory) if sizing else None
