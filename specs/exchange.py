"""The exchange stack's config: the federation's domain, PKI, images and its member parties."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from facts.names import CLUSTER_DOMAIN
from facts.versions import DEFAULT_FATE_VERSION, TRAFFIC_SERVER_IMAGE
from specs.common import EXCHANGE_NODE_PORTS, Exposure, StaticEndpoint, StaticNginx
from specs.errors import config_key
from specs.federation import fate_mismatch, party_id_problem, same_fate_generation
from specs.values import (
    DnsLabel,
    DnsName,
    FateVersion,
    FederationDomain,
    ImageReference,
    Model,
    Namespace,
    PartyId,
    Registry,
    StackName,
    ValidityHours,
)


class StaticParty(Model):
    """A party not managed with Pulumi: its public addresses, and optionally its CSR to sign."""

    party_id: PartyId
    pulsar_tls: StaticEndpoint
    nginx: StaticNginx
    csr_pem: str | None = None
    fate_version: FateVersion | None = None
    """The FATE version the party runs, when known: checked against the exchange's."""


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
    certificate_validity_hours: ValidityHours = 24 * 365
    ca_validity_hours: ValidityHours = 24 * 365 * 10

    @model_validator(mode="after")
    def _secret_for_existing(self) -> Pki:
        if self.mode == "existing" and not self.existing_secret:
            raise ValueError(
                "existingSecret is required when pki.mode is 'existing': name the Secret holding "
                "proxy.cert.pem, proxy.key.pem and ca.cert.pem"
            )
        return self


class ExchangeConfig(Model):
    domain: FederationDomain = "fate.org"
    party_id: PartyId = 1
    namespace: Namespace = "fate-exchange"
    exposure: Exposure = Exposure()
    registry: Registry = ""
    image_pull_secrets: list[DnsLabel] = []
    nginx_fate_version: FateVersion = DEFAULT_FATE_VERSION
    traffic_server_image: ImageReference = TRAFFIC_SERVER_IMAGE
    parties: list[PartyEntry] = []
    pki: Pki = Pki()
    cluster_domain: DnsName = CLUSTER_DOMAIN
    """The cluster's DNS domain (kubelet clusterDomain), for in-cluster addresses."""

    @model_validator(mode="after")
    def _own_node_ports(self) -> ExchangeConfig:
        problem = self.exposure.node_port_problem(EXCHANGE_NODE_PORTS, "the exchange")
        if problem:
            raise ValueError(f"exposure.{problem}")
        return self

    @model_validator(mode="after")
    def _unique_members(self) -> ExchangeConfig:
        stacks = [p.stack for p in self.parties if p.stack]
        repeated = sorted({s for s in stacks if stacks.count(s) > 1})
        if repeated:
            raise ValueError(f"parties lists the stack {repeated[0]} twice: remove one entry")
        problem = party_id_problem(
            ((p.static.party_id, f"parties[{i}]") for i, p in enumerate(self.parties) if p.static), self.party_id)
        if problem:
            raise ValueError(problem)
        return self

    def problems(self, key: str) -> list[str]:
        """What these settings contradict, each as `<config key>: <problem and fix>` (`key`: where the
        exchange sits in the config, `exchange` or `local.exchange`)."""
        found = []
        pki = self.pki
        if pki.mode == "managed" and pki.certificate_validity_hours > pki.ca_validity_hours:
            found.append(f"{config_key(key + '.pki.certificateValidityHours')}: {pki.certificate_validity_hours} "
                         f"hours outlives the federation CA (pki.caValidityHours: {pki.ca_validity_hours}): lower it "
                         "or raise caValidityHours")
        for index, entry in enumerate(self.parties):
            version = entry.static.fate_version if entry.static else None
            if version is not None and not same_fate_generation(version, self.nginx_fate_version):
                found.append(f"{config_key(f'{key}.parties[{index}].static.fateVersion')}: "
                             f"{fate_mismatch(f'party {entry.static.party_id}', version, self.nginx_fate_version)}")
        return found
