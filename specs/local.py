"""The local all-in-one stack's config: the exchange and two or more parties in one cluster."""

from __future__ import annotations

from pydantic import model_validator

from specs.exchange import ExchangeConfig
from specs.errors import config_key
from specs.federation import fate_mismatch, party_id_problem, same_fate_generation
from specs.party import PartyConfig
from facts.names import CLUSTER_DOMAIN
from specs.values import DnsName, Model


class LocalConfig(Model):
    """Exchange + parties + a toy job in ONE cluster, with service DNS instead of load balancers."""

    exchange: ExchangeConfig = ExchangeConfig(domain="fate.local", namespace="fate-exchange")
    parties: list[PartyConfig]
    cluster_domain: DnsName = CLUSTER_DOMAIN
    """The one cluster's DNS domain (kubelet clusterDomain); applies to the exchange and every party."""

    @model_validator(mode="after")
    def _distinct_parties(self) -> LocalConfig:
        problem = party_id_problem(
            ((p.party_id, f"parties[{i}]") for i, p in enumerate(self.parties)), self.exchange.party_id)
        if problem:
            raise ValueError(problem)
        namespaces = [p.resolved_namespace for p in self.parties] + [self.exchange.namespace]
        clash = sorted({n for n in namespaces if namespaces.count(n) > 1})
        if clash:
            raise ValueError(f"namespace {clash[0]} is used twice: each party and the exchange need their own")
        if len(self.parties) < 2:
            raise ValueError("a local federation needs at least two parties (e.g. 9999 and 10000)")
        return self

    def problems(self, key: str = "local") -> list[str]:
        """What these settings contradict, each as `<config key>: <problem and fix>`."""
        found = self.exchange.problems(f"{key}.exchange")
        for index, party in enumerate(self.parties):
            found += party.problems(f"{key}.parties[{index}]")
        versions = sorted({p.fate_version for p in self.parties})
        if any(not same_fate_generation(v, versions[0]) for v in versions):
            found.append(f"{config_key(key + '.parties')}: the parties run FATE {' and '.join(versions)}: FATE 1.x "
                         "and 2.x do not federate; give every party one FATE version (fateVersion)")
        elif "nginx_fate_version" in self.exchange.model_fields_set and \
                not same_fate_generation(self.exchange.nginx_fate_version, versions[0]):
            found.append(f"{config_key(key + '.exchange.nginxFateVersion')}: "
                         f"{fate_mismatch('the parties', versions[0], self.exchange.nginx_fate_version)}")
        return found

    @property
    def resolved_exchange(self) -> ExchangeConfig:
        """The exchange, its nginx on the parties' FATE version unless the config names one."""
        if "nginx_fate_version" in self.exchange.model_fields_set or not self.parties:
            return self.exchange
        return self.exchange.model_copy(update={"nginx_fate_version": self.parties[0].fate_version})
