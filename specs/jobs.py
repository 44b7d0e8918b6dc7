"""FATE jobs a party stack declares: DAG files run once per change, and the toy verification job."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.values import DnsLabel, Model, PartyId, PositiveCount


class JobConfig(Model):
    """A FATE job declared in the stack, run once per change of its files: a FATE 2.x DAG file, or (on a
    FATE 1.x party) a 1.x DSL file with its runtime conf file."""

    name: DnsLabel
    dag_file: str | None = Field(default=None, min_length=1)
    dsl_file: str | None = Field(default=None, min_length=1)
    runtime_conf_file: str | None = Field(default=None, min_length=1)
    wait: bool = True
    timeout_s: PositiveCount = 3600

    @model_validator(mode="after")
    def _one_definition(self) -> JobConfig:
        v1_files = sum(f is not None for f in (self.dsl_file, self.runtime_conf_file))
        if not ((self.dag_file is not None and v1_files == 0) or (self.dag_file is None and v1_files == 2)):
            raise ValueError("give either dagFile (a FATE 2.x DAG) or both dslFile and runtimeConfFile (a FATE 1.x "
                             "job)")
        return self

    @property
    def is_fate_1(self) -> bool:
        return self.dag_file is None


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
