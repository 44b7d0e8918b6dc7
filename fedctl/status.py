"""`fedctl status`: the federation as one table, from the stacks' outputs (docs/outputs.md).

Pure: outputs in (from the backend through the Automation API, or from an offline render's
outputs.json files), a StatusReport out. Only the contract's plain keys are read, so a secret output
can never reach the table or the JSON; a value the source holds as a secret shows as `[secret]`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

from fedctl.orchestrate import reference_stack

SECRET = "[secret]"
"""How a secret value shows (as in `pulumi stack output` and the offline render, fedctl.wire.REDACTED)."""
WARN_DAYS = 30
JOB_DONE = {"success"}
JOB_RUNNING = {"waiting", "ready", "running"}
JOB_FAILED = {"failed", "canceled", "timeout"}
"""FATE's job status words (components/fate_job.py)."""
Level = Literal["failing", "pending", "warning"]


class StatusError(Exception):
    """No outputs to read (an empty render directory, a stack that cannot be read)."""


@dataclass(frozen=True)
class Certificate:
    subject: str
    not_after: str
    """ISO date-time (UTC)."""
    days_left: int


@dataclass(frozen=True)
class Job:
    name: str
    status: str | None
    job_id: str | None


@dataclass
class PartyRow:
    party_id: int | None
    stack: str | None
    """The party's stack in this repository, or the exchange's `source` for any other party."""
    fate_version: str | None = None
    join_status: str | None = None
    """The party stack's joinStatus; `not deployed` when that stack has no outputs; None for static parties."""
    route_status: str | None = None
    """At the exchange: routed, pending, refused, or `not listed`."""
    route_reason: str | None = None
    sni_route: str | None = None
    nginx_route: str | None = None
    certificate: Certificate | None = None
    jobs: list[Job] = field(default_factory=list)


@dataclass
class FederationView:
    name: str
    """The exchange stack (or the local stack) that makes this federation."""
    domain: str | None = None
    deployed: bool = True
    traffic_server: str | None = None
    nginx: str | None = None
    ca: Certificate | None = None
    parties: list[PartyRow] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    level: Level
    subject: str
    message: str


@dataclass
class StatusReport:
    federations: list[FederationView]
    problems: list[Problem]
    not_deployed: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 healthy (warnings allowed), 1 something pending, 2 something failing."""
        levels = {p.level for p in self.problems}
        return 2 if "failing" in levels else 1 if "pending" in levels else 0

    def to_json(self) -> dict[str, Any]:
        return {"exitCode": self.exit_code, "federations": [asdict(f) for f in self.federations],
                "problems": [asdict(p) for p in self.problems], "notDeployed": self.not_deployed}


def _id_key(party_id: Any) -> tuple[int, str]:
    """Party ids sort as numbers (9999 before 10000)."""
    text = str(party_id)
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _plain(value: Any) -> Any:
    return None if value == SECRET else value


def _hostport(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    host = value.get("host") or "(no address yet)"
    ports = [str(value[k]) for k in ("port", "httpPort", "grpcPort") if value.get(k) is not None]
    return f"{host}:{'/'.join(ports)}" if ports else str(host)


def certificate(pem: Any, now: datetime) -> Certificate | None:
    """Subject and expiry of a PEM certificate; None when there is none (or it is a secret)."""
    if not isinstance(pem, str) or not pem.startswith("-----BEGIN CERTIFICATE-----"):
        return None
    cert = x509.load_pem_x509_certificate(pem.encode())
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    not_after = cert.not_valid_after_utc
    return Certificate(str(names[0].value) if names else cert.subject.rfc4514_string(),
                       not_after.isoformat(), (not_after - now).days)


def _jobs(outputs: Mapping[str, Any]) -> list[Job]:
    jobs = _plain(outputs.get("jobs"))
    if not isinstance(jobs, Mapping):
        return []
    return [Job(name, _plain((value or {}).get("status")), _plain((value or {}).get("jobId")))
            for name, value in sorted(jobs.items()) if isinstance(value, Mapping) or value is None]


class _Builder:
    def __init__(self, project: str, now: datetime, warn_days: int) -> None:
        self.project, self.now, self.warn_days = project, now, warn_days
        self.problems: list[Problem] = []

    def problem(self, level: Level, subject: str, message: str) -> None:
        self.problems.append(Problem(level, subject, message))

    def check_certificate(self, cert: Certificate | None, subject: str, what: str) -> None:
        if cert is None:
            return
        if cert.days_left < 0:
            self.problem("failing", subject, f"{what} expired on {cert.not_after[:10]}: rotate it "
                                             "(docs/operations.md, rotate certificates)")
        elif cert.days_left < self.warn_days:
            self.problem("warning", subject, f"{what} expires on {cert.not_after[:10]}, in {cert.days_left} days: "
                                             "rotate it (docs/operations.md, rotate certificates)")

    def party_row(self, party: Mapping[str, Any], stack: str | None) -> PartyRow:
        row = PartyRow(_plain(party.get("partyId")), stack, _plain(party.get("fateVersion")),
                       _plain(party.get("joinStatus")), jobs=_jobs(party))
        subject = f"party {row.party_id}" + (f" ({stack})" if stack else "")
        if row.join_status and row.join_status != "joined":
            pending = _plain((party.get("exchange") or {}).get("pending")) if isinstance(party.get("exchange"), Mapping) else None
            self.problem("pending", subject, f"joinStatus {row.join_status}" + (f": {pending}" if pending else
                         " (docs/federation.md, join status)"))
        for job in row.jobs:
            if job.status in JOB_FAILED:
                self.problem("failing", subject, f"job {job.name} {job.status} (job id {job.job_id})")
            elif job.status in JOB_RUNNING:
                self.problem("pending", subject, f"job {job.name} is {job.status} (job id {job.job_id})")
            elif job.status not in JOB_DONE:
                self.problem("pending", subject, f"job {job.name} has not reported a status (not run yet)")
        return row

    def add_route(self, row: PartyRow, entry: Mapping[str, Any], exchange: str) -> None:
        row.route_status = _plain(entry.get("status"))
        row.route_reason = _plain(entry.get("reason"))
        routes = entry.get("routes") if isinstance(entry.get("routes"), Mapping) else {}
        sni = routes.get("sni") if isinstance(routes.get("sni"), Mapping) else {}
        row.sni_route = _plain(sni.get("tunnelRoute"))
        row.nginx_route = _hostport(routes.get("nginx"))
        row.certificate = certificate(entry.get("certificatePem"), self.now)
        subject = f"party {row.party_id}" + (f" ({row.stack})" if row.stack else "")
        reason = f": {row.route_reason}" if row.route_reason else ""
        if row.route_status == "refused":
            self.problem("failing", subject, f"refused by {exchange}{reason}")
        elif row.route_status != "routed":
            self.problem("pending", subject, f"route at {exchange} is {row.route_status}{reason}")
        self.check_certificate(row.certificate, subject, "its certificate")

    def exchange_view(self, name: str, exchange: Mapping[str, Any], parties: Mapping[str, Mapping[str, Any]],
                      party_stacks: Mapping[str, str]) -> FederationView:
        """A federation: the exchange's outputs, and its parties' own outputs keyed by party id
        (`party_stacks`: party id -> the stack they came from)."""
        endpoints = exchange.get("endpoints") if isinstance(exchange.get("endpoints"), Mapping) else {}
        view = FederationView(name, _plain(exchange.get("domain")), True, _hostport(endpoints.get("trafficServer")),
                              _hostport(endpoints.get("nginx")), certificate(exchange.get("caCertPem"), self.now))
        self.check_certificate(view.ca, f"exchange {name}", "the federation CA")
        listed = exchange.get("parties") if isinstance(exchange.get("parties"), Mapping) else {}
        seen: set[str] = set()
        for party_id, entry in sorted(listed.items(), key=lambda kv: _id_key(kv[0])):
            seen.add(str(party_id))
            source = str(entry.get("source") or "")
            stack = reference_stack(source, self.project) or party_stacks.get(str(party_id)) or source
            own = parties.get(str(party_id))
            row = self.party_row(own, stack) if own else PartyRow(int(party_id), stack)
            self.add_route(row, entry, name)
            view.parties.append(row)
        for pending in exchange.get("pendingParties") or []:
            source = str(pending.get("source") or "")
            stack = reference_stack(source, self.project) or source
            if any(row.stack == stack for row in view.parties):
                continue
            row = PartyRow(_plain(pending.get("partyId")), stack, route_status="pending",
                           route_reason=_plain(pending.get("reason")))
            own = next((p for pid, p in parties.items() if party_stacks.get(pid) == stack), None)
            if own:
                row = self.party_row(own, stack)
                row.route_status, row.route_reason = "pending", _plain(pending.get("reason"))
            self.problem("pending", f"party {row.party_id} ({stack})" if row.party_id is not None else f"stack {stack}",
                         f"route at {name} is pending: {row.route_reason}")
            view.parties.append(row)
            if row.party_id is not None:
                seen.add(str(row.party_id))
        for party_id, own in sorted(parties.items(), key=lambda kv: _id_key(kv[0])):
            if party_id not in seen:
                row = self.party_row(own, party_stacks.get(party_id))
                row.route_status = "not listed"
                self.problem("pending", f"party {party_id} ({row.stack})",
                             f"not listed by {name}: add it under exchange.parties in Pulumi.{name}.yaml")
                view.parties.append(row)
        return view


def federation_status(outputs: Mapping[str, Mapping[str, Any] | None], project: str, *,
                      now: datetime | None = None, warn_days: int = WARN_DAYS) -> StatusReport:
    """The federations in `outputs` (stack name -> its outputs; empty or None when not deployed)."""
    now = now or datetime.now(timezone.utc)
    builder = _Builder(project, now, warn_days)
    deployed = {name: dict(o) for name, o in outputs.items() if o}
    not_deployed = sorted(name for name in outputs if name not in deployed)
    for name in not_deployed:
        builder.problem("pending", f"stack {name}", "has no outputs: not deployed yet (run `python -m fedctl up`)")
    parties_by_exchange: dict[str, dict[str, Mapping[str, Any]]] = {}
    party_stacks: dict[str, str] = {}
    for name, out in sorted(deployed.items()):
        if out.get("role") == "party":
            link = out.get("exchange") if isinstance(out.get("exchange"), Mapping) else {}
            exchange = reference_stack(str(link.get("stack") or ""), project) or ""
            parties_by_exchange.setdefault(exchange, {})[str(out.get("partyId"))] = out
            party_stacks[str(out.get("partyId"))] = name
    federations: list[FederationView] = []
    for name, out in sorted(deployed.items()):
        if out.get("role") == "exchange":
            federations.append(builder.exchange_view(name, out, parties_by_exchange.pop(name, {}), party_stacks))
        elif out.get("role") == "local":
            nested = {str(pid): p for pid, p in (out.get("parties") or {}).items() if isinstance(p, Mapping)}
            federations.append(builder.exchange_view(name, out.get("exchange") or {}, nested,
                                                     {pid: name for pid in nested}))
    for exchange, parties in sorted(parties_by_exchange.items()):
        view = FederationView(exchange or "(exchange not in this repository)", deployed=False)
        for party_id, own in sorted(parties.items()):
            view.parties.append(builder.party_row(own, party_stacks[party_id]))
        federations.append(view)
    return StatusReport(federations, builder.problems, not_deployed)


def rendered_outputs(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> outputs, from an offline render's DIR/<stack>/outputs.json (`fedctl render`)."""
    out_dir = Path(out_dir)
    files = sorted(out_dir.glob("*/outputs.json"))
    if not files:
        raise StatusError(f"no <stack>/outputs.json under {out_dir}: run `python -m fedctl render --out {out_dir}`")
    return {path.parent.name: json.loads(path.read_text()) for path in files}


def _cell(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def format_table(report: StatusReport) -> str:
    """The report as text: a header line per federation, a row per party, then the problems."""
    lines: list[str] = []
    headers = ["PARTY", "STACK", "FATE", "JOIN", "ROUTE", "SNI ROUTE", "NGINX ROUTE", "CERT EXPIRES", "JOBS"]
    for view in report.federations:
        if view.deployed:
            ca = f", CA expires {view.ca.not_after[:10]} ({view.ca.days_left} d)" if view.ca else ""
            lines.append(f"federation {view.name}: domain {_cell(view.domain)}, Traffic Server "
                         f"{_cell(view.traffic_server)}, nginx {_cell(view.nginx)}{ca}")
        else:
            lines.append(f"parties of {view.name} (no outputs for that exchange here)")
        rows = [[_cell(p.party_id), _cell(p.stack), _cell(p.fate_version), _cell(p.join_status),
                 _cell(p.route_status), _cell(p.sni_route), _cell(p.nginx_route),
                 f"{p.certificate.not_after[:10]} ({p.certificate.days_left} d)" if p.certificate else "-",
                 ", ".join(f"{j.name}: {j.status or 'not run'}" for j in p.jobs) or "-"] for p in view.parties]
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        for row in [headers, *rows]:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines.append("")
    for name in report.not_deployed:
        lines.append(f"stack {name}: not deployed")
    for problem in report.problems:
        lines.append(f"{problem.level}: {problem.subject}: {problem.message}")
    counts = {level: sum(p.level == level for p in report.problems) for level in ("failing", "pending", "warning")}
    parties = [p for f in report.federations for p in f.parties]
    lines.append(f"{len(parties)} parties, {sum(p.join_status == 'joined' for p in parties)} joined; "
                 f"{counts['failing']} failing, {counts['pending']} pending, {counts['warning']} warnings")
    return "\n".join(lines)
