"""FATE jobs a party stack declares: DAG files run once per change, and the toy verification job."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.values import DnsLabel, Model, PartyId, PositiveCount


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


def repeated_job_names(jobs: list[JobConfig]) -> list[str]:
    names = [job.name for job in jobs]
    return sorted({n for n in names if names.count(n) > 1})
