"""Config models for every stack role.

The models validate a whole stack's config before any resource is registered: a bad value fails the
run with the config key (as the user types it in `pulumi config set --path`) and the fix, and nothing is
half-applied. Keys are camelCase in the stack files; attributes are snake_case in Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.kube import quantity_value
from components.fateconf.settings import validate_party_id
from facts.versions import DEFAULT_FATE_VERSION, SUPPORTED_FATE_VERSIONS, TRAFFIC_SERVER_IMAGE

CONFIG_NAMESPACE = "fate-federation"
"""The project name, so `pulumi config set party.partyId 9999 --path` needs no prefix."""

ROLES = ("party", "exchange", "local")


class ConfigError(pulumi.RunError):
    """A stack's config is invalid; the message names each key and its fix (shown without a traceback)."""


# --- value types ---------------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def _check_quantity(value: str) -> str:
    quantity_value(value)
    return value


def _check_dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes name: use lower-case letters, digits and '-', at most 63 characters"
        )
    return value


def _check_dns_name(value: str) -> str:
    if not _DNS_NAME.match(value):
        raise ValueError(f"{value!r} is not a DNS name (e.g. fate.example.org): lower-case labels joined by '.'")
    return value


def _check_party_id(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError("party ids are numbers (e.g. 9999)")
    return validate_party_id(value)


def _check_stack_name(value: str) -> str:
    if not _STACK_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a fully qualified stack name: use <organization>/<project>/<stack>, "
            "e.g. organization/fate-federation/exchange"
        )
    return value


Quantity = Annotated[str, AfterValidator(_check_quantity)]
DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]
DnsName = Annotated[str, AfterValidator(_check_dns_name)]
PartyId = Annotated[int, BeforeValidator(_check_party_id)]
StackName = Annotated[str, AfterValidator(_check_stack_name)]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveCount = Annotated[int, Field(ge=1)]


class Model(BaseModel):
    """camelCase keys, unknown keys rejected (a typo must not be silently ignored)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


# --- shared pieces -------------------------------------------------------------------------------


class KubernetesConfig(Model):
    """Which cluster this stack drives: a kubeconfig context, and/or a kubeconfig held as a secret.

    The kubeconfig itself is read from the secret key `fate-federation:kubeconfig`, never from here.
    """

    context: str | None = None
    kubeconfig_path: str | None = None


class Exposure(Model):
    """How a party's or the exchange's public endpoints are reached from other parties.

    ClusterIP is for the local all-in-one stack: every party is in one cluster and reached by service DNS.
    """

    type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"
    node_address: str | None = None
    load_balancer_annotations: dict[str, str] = {}

    @model_validator(mode="after")
    def _node_address_for_node_port(self) -> Exposure:
        if self.type == "NodePort" and not self.node_address:
            raise ValueError(
                "nodeAddress is required when type is NodePort: set it to a node's address that the other "
                "parties can reach (e.g. exposure.nodeAddress: 203.0.113.10)"
            )
        return self


# --- party ---------------------------------------------------------------------------------------

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
    port: Port = 6650
    ssl_port: Port = 6651
    mng_port: Port = 8080


class ExternalMysql(Model):
    """The password is read from the secret key `fate-federation:externalMysqlPassword`."""

    host: str = Field(min_length=1)
    port: Port = 3306
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


class JobConfig(Model):
    """A FATE job declared in the stack: a DAG file, run once per change of the DAG."""

    name: DnsLabel
    dag_file: str = Field(min_length=1)
    wait: bool = True
    timeout_s: PositiveCount = 3600


class VerificationConfig(Model):
    """The toy example between this party (guest) and a peer (host): proof the federation works."""

    enabled: bool = False
    peer_party_id: PartyId | None = None
    timeout_s: PositiveCount = 900

    @model_validator(mode="after")
    def _peer_when_enabled(self) -> VerificationConfig:
        if self.enabled and self.peer_party_id is None:
            raise ValueError("peerPartyId is required when the verification job is enabled (e.g. 10000)")
        return self


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


class StaticEndpoint(Model):
    host: str = Field(min_length=1)
    port: Port


class StaticNginx(Model):
    host: str = Field(min_length=1)
    http_port: Port = 9300
    grpc_port: Port = 9310


class StaticExchange(Model):
    """An exchange not managed with Pulumi (e.g. run by another organisation)."""

    domain: DnsName
    traffic_server: StaticEndpoint
    nginx: StaticNginx
    ca_cert_pem: str | None = None
    certificate_pem: str | None = None


class PartyConfig(Model):
    party_id: PartyId
    namespace: DnsLabel | None = None
    fate_version: str = DEFAULT_FATE_VERSION
    exposure: Exposure = Exposure()
    persistence: Persistence = Persistence()
    ingress: Ingress = Ingress()
    registry: str = ""
    image_pull_secrets: list[DnsLabel] = []
    sizing: Literal["dev", "production"] = "dev"
    resources: dict[str, ResourceSizing] = {}
    spark: SparkConfig = SparkConfig()
    hdfs: HdfsConfig = HdfsConfig()
    pulsar: PulsarConfig = PulsarConfig()
    mysql: MysqlConfig = MysqlConfig()
    kubefate: KubefateConfig = KubefateConfig()
    pki: PartyPki = PartyPki()
    fateflow_url: str | None = None
    """The FATE Flow URL the machine running Pulumi reaches (ingress, VPN or port-forward); jobs use it."""
    jobs: list[JobConfig] = []
    verification: VerificationConfig = VerificationConfig()
    fateboard_username: str = "admin"

    @field_validator("fateflow_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s:]+(:[0-9]{1,5})?/?$", value):
            raise ValueError(f"{value!r} is not a FATE Flow base URL (e.g. http://127.0.0.1:9380)")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _jobs_need_endpoint(self) -> PartyConfig:
        if (self.jobs or self.verification.enabled) and not self.fateflow_url:
            raise ValueError(
                "fateflowUrl is required to run jobs or the verification job: set it to the FATE Flow URL this "
                "machine reaches (e.g. http://127.0.0.1:9380 with `kubectl port-forward svc/fateflow 9380`)"
            )
        return self

    @field_validator("fate_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in SUPPORTED_FATE_VERSIONS:
            raise ValueError(
                f"FATE version {value!r} is not supported: use one of {', '.join(SUPPORTED_FATE_VERSIONS)}"
            )
        return value

    @field_validator("jobs")
    @classmethod
    def _unique_job_names(cls, jobs: list[JobConfig]) -> list[JobConfig]:
        names = [job.name for job in jobs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
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
        for module, size in self.persistence.sizes.items():
            if quantity_value(size) < 5 * 2**30:
                raise ValueError(
                    f"persistence.sizes.{module} is {size}; the production sizing needs volumes of at least 5Gi "
                    "(raise it, or use sizing: dev)"
                )
        for module, res in self.resources.items():
            cpu_min, mem_min = (8, 16) if module == "spark-worker" else (4, 8)
            if quantity_value(res.cpu) < cpu_min or quantity_value(res.memory) < mem_min * 2**30:
                raise ValueError(
                    f"resources.{module} is {res.cpu} CPU / {res.memory}; the production sizing needs at least "
                    f"{cpu_min} CPU and {mem_min}Gi (raise it, or use sizing: dev)"
                )
        return self

    @property
    def resolved_namespace(self) -> str:
        return self.namespace or f"fate-{self.party_id}"


# --- exchange ------------------------------------------------------------------------------------


class StaticParty(Model):
    """A party not managed with Pulumi: its public addresses, and optionally its CSR to sign."""

    party_id: PartyId
    pulsar_tls: StaticEndpoint
    nginx: StaticNginx
    csr_pem: str | None = None


class PartyEntry(Model):
    """One member of the federation: a party stack (StackReference) or a static entry."""

    stack: StackName | None = None
    static: StaticParty | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PartyEntry:
        if (self.stack is None) == (self.static is None):
            raise ValueError(
                "each party entry sets exactly one of stack (e.g. organization/fate-federation/party-a) "
                "or static (partyId, pulsarTls, nginx)"
            )
        return self


class Pki(Model):
    """managed: the exchange stack owns the federation CA. existing: bring your own Secrets."""

    mode: Literal["managed", "existing"] = "managed"
    existing_secret: DnsLabel | None = None
    certificate_validity_hours: PositiveCount = 24 * 365
    ca_validity_hours: PositiveCount = 24 * 365 * 10

    @model_validator(mode="after")
    def _secret_for_existing(self) -> Pki:
        if self.mode == "existing" and not self.existing_secret:
            raise ValueError(
                "existingSecret is required when pki.mode is 'existing': name the Secret holding "
                "proxy.cert.pem, proxy.key.pem and ca.cert.pem"
            )
        return self


class ExchangeConfig(Model):
    domain: DnsName = "fate.org"
    party_id: PartyId = 1
    namespace: DnsLabel = "fate-exchange"
    exposure: Exposure = Exposure()
    registry: str = ""
    image_pull_secrets: list[DnsLabel] = []
    nginx_fate_version: str = DEFAULT_FATE_VERSION
    traffic_server_image: str = TRAFFIC_SERVER_IMAGE
    parties: list[PartyEntry] = []
    pki: Pki = Pki()

    @field_validator("nginx_fate_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        return PartyConfig._known_version(value)

    @model_validator(mode="after")
    def _unique_members(self) -> ExchangeConfig:
        stacks = [p.stack for p in self.parties if p.stack]
        repeated = sorted({s for s in stacks if stacks.count(s) > 1})
        if repeated:
            raise ValueError(f"parties lists the stack {repeated[0]} twice: remove one entry")
        ids = [p.static.party_id for p in self.parties if p.static]
        repeated_ids = sorted({i for i in ids if ids.count(i) > 1})
        if repeated_ids:
            raise ValueError(f"parties lists party id {repeated_ids[0]} twice: party ids must be unique")
        if self.party_id in ids:
            raise ValueError(
                f"party id {self.party_id} is the exchange's own partyId: give the party or the exchange another id"
            )
        return self


# --- local all-in-one ----------------------------------------------------------------------------


class LocalConfig(Model):
    """Exchange + parties + a toy job in ONE cluster, with service DNS instead of load balancers."""

    exchange: ExchangeConfig = ExchangeConfig(domain="fate.local", namespace="fate-exchange")
    parties: list[PartyConfig]

    @model_validator(mode="after")
    def _distinct_parties(self) -> LocalConfig:
        ids = [p.party_id for p in self.parties]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"parties lists party id {repeated[0]} twice: party ids must be unique")
        if self.exchange.party_id in ids:
            raise ValueError(
                f"party id {self.exchange.party_id} is the exchange's own partyId: give the party another id"
            )
        namespaces = [p.resolved_namespace for p in self.parties] + [self.exchange.namespace]
        clash = sorted({n for n in namespaces if namespaces.count(n) > 1})
        if clash:
            raise ValueError(f"namespace {clash[0]} is used twice: each party and the exchange need their own")
        if len(self.parties) < 2:
            raise ValueError("a local federation needs at least two parties (e.g. 9999 and 10000)")
        return self


# --- loading -------------------------------------------------------------------------------------

ExchangeLink.model_rebuild()


class StackSettings(BaseModel):
    """Everything one stack's config says, validated."""

    model_config = ConfigDict(frozen=True)

    role: Literal["party", "exchange", "local"]
    kubernetes: KubernetesConfig
    party: PartyConfig | None = None
    exchange_link: ExchangeLink | None = None
    exchange: ExchangeConfig | None = None
    local: LocalConfig | None = None


def _describe(error: Mapping[str, Any], key: str) -> str:
    path = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    full = f"{CONFIG_NAMESPACE}:{key}" + (f".{path}" if path else "")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key: check its spelling against docs/configuration.md, or remove it"
    elif error["type"] == "missing":
        message = f"required: set it with `pulumi config set --path '{key}.{path}' <value>`"
    elif error["type"] not in ("value_error", "assertion_error"):
        message += f" (fix: `pulumi config set --path '{key}{'.' + path if path else ''}' <value>`)"
    return f"  {full}: {message}"


def _validate(model: type[Model], key: str, raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        lines = [_describe(e, key) for e in error.errors()]
        raise ConfigError("invalid stack config:\n" + "\n".join(lines)) from None


def parse_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validate a stack's raw config (keys without the namespace) into StackSettings.

    Pure: tests and the offline render call it with plain dicts, the program with pulumi.Config.
    """
    role = raw.get("role")
    if role not in ROLES:
        raise ConfigError(
            f"invalid stack config:\n  {CONFIG_NAMESPACE}:role: {role!r} is not a role: set it to one of "
            f"{', '.join(ROLES)} (pulumi config set role party)"
        )
    kubernetes = _validate(KubernetesConfig, "kubernetes", raw.get("kubernetes") or {})
    if role == "party":
        if raw.get("party") is None:
            raise ConfigError(
                f"invalid stack config:\n  {CONFIG_NAMESPACE}:party: required for role party "
                "(at least party.partyId)"
            )
        party = _validate(PartyConfig, "party", raw["party"])
        link = _validate(ExchangeLink, "exchange", raw["exchange"]) if raw.get("exchange") is not None else None
        if link is None:
            raise ConfigError(
                f"invalid stack config:\n  {CONFIG_NAMESPACE}:exchange: required for role party: set "
                "exchange.stack to the exchange stack (e.g. organization/fate-federation/exchange) or "
                "exchange.static to its addresses"
            )
        return StackSettings(role=role, kubernetes=kubernetes, party=party, exchange_link=link)
    if role == "exchange":
        exchange = _validate(ExchangeConfig, "exchange", raw.get("exchange") or {})
        return StackSettings(role=role, kubernetes=kubernetes, exchange=exchange)
    local = _validate(LocalConfig, "local", raw.get("local") or {})
    return StackSettings(role=role, kubernetes=kubernetes, local=local)


SECTIONS = ("role", "kubernetes", "party", "exchange", "local")


def load_settings() -> StackSettings:
    """Read and validate this stack's config through pulumi.Config (objects are JSON there)."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    raw: dict[str, Any] = {"role": config.get("role")}
    for section in SECTIONS[1:]:
        try:
            raw[section] = config.get_object(section)
        except Exception as error:  # pulumi raises on JSON that is not an object
            raise ConfigError(f"invalid stack config:\n  {CONFIG_NAMESPACE}:{section}: {error}") from None
    return parse_settings(raw)
