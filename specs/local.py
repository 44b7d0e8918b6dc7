"""The local all-in-one stack's config: the exchange and two or more parties in one cluster."""

from __future__ import annotations

from pydantic import model_validator

from specs.exchange import ExchangeConfig
from specs.federation import party_id_problem
from specs.party import PartyConfig
from specs.values import Model


class LocalConfig(Model):
    """Exchange + parties + a toy job in ONE cluster, with service DNS instead of load balancers."""

    exchange: ExchangeConfig = ExchangeConfig(domain="fate.local", namespace="fate-exchange")
    parties: list[PartyConfig]

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
