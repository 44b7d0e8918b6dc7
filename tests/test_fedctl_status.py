"""`python -m fedctl status` on the outputs of the repository's stacks.

The outputs come from the offline render (`fedctl render`: the real program under the SDK's mocks,
fedctl.mocks, with real certificates): the whole federation settled, and a federation where party-b
has not run yet (exchange and party-a only). The render cannot run FATE jobs (FATE Flow's images do
not run here), so the verification job has no status in its outputs; the tests that need a job
status set the values FateJob exports (components/fate_job.py) and say so.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fedctl.__main__ import main
from fedctl.status import federation_status, format_table, rendered_outputs

PROJECT = "fate-federation"


@pytest.fixture
def settled(settled_render_dir: Path) -> Path:
    """The whole federation rendered with --show-secrets (so a leak of a secret would be visible)."""
    return settled_render_dir


@pytest.fixture
def half_joined(half_joined_render_dir: Path) -> Path:
    """exchange and party-a settled; party-b never ran (what the exchange reports before its first up)."""
    return half_joined_render_dir


def outputs_of(out: Path) -> dict[str, dict[str, Any]]:
    return copy.deepcopy(rendered_outputs(out))


def certificate_pem(days: int) -> str:
    """A certificate valid until `days` from now (negative: already expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "10000.fate.example.org")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=400))
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def party_row(report: Any, federation: str, party_id: int) -> Any:
    view = next(f for f in report.federations if f.name == federation)
    return next(p for p in view.parties if p.party_id == party_id)


def test_settled_federation_table(settled: Path) -> None:
    outputs = outputs_of(settled)
    report = federation_status(outputs, PROJECT)
    assert [f.name for f in report.federations] == ["exchange", "local"]
    a = party_row(report, "exchange", 9999)
    b = party_row(report, "exchange", 10000)
    assert (a.stack, a.fate_version, a.join_status, a.route_status) == ("party-a", "2.0.0", "joined", "routed")
    # the exchange's routes point where each party says it is reached
    pulsar = outputs["party-b"]["endpoints"]["pulsarTls"]
    assert b.sni_route == f"{pulsar['host']}:{pulsar['port']}"
    nginx = outputs["party-a"]["endpoints"]["nginx"]
    assert a.nginx_route == f"{nginx['host']}:{nginx['httpPort']}/{nginx['grpcPort']}"
    # expiry read from the signed certificate itself
    signed = x509.load_pem_x509_certificate(outputs["exchange"]["parties"]["9999"]["certificatePem"].encode())
    assert a.certificate.not_after == signed.not_valid_after_utc.isoformat()
    assert a.certificate.subject == "9999.fate.example.org" and 360 <= a.certificate.days_left <= 366
    table = format_table(report)
    assert "federation exchange: domain fate.example.org" in table
    assert [line.split()[:5] for line in table.splitlines() if line.strip().startswith(("9999", "10000"))][:2] == [
        ["9999", "party-a", "2.0.0", "joined", "routed"], ["10000", "party-b", "2.0.0", "joined", "routed"]]
    # the repository's stack files declare no job: nothing is pending
    assert report.exit_code == 0 and report.problems == []


def test_a_job_not_run_yet_is_pending(settled: Path) -> None:
    """A declared job without a status yet (what FateJob exports before its first run) keeps the exit code 1."""
    outputs = outputs_of(settled)
    outputs["party-a"]["jobs"]["verification"] = {}
    report = federation_status(outputs, PROJECT)
    assert "verification: not run" in format_table(report)
    assert report.exit_code == 1
    assert [p.message for p in report.problems] == ["job verification has not reported a status (not run yet)"]


def test_all_jobs_done_exits_zero(settled: Path) -> None:
    """With the job status FateJob exports after a successful run (set here: no FATE Flow runs in the render)."""
    outputs = outputs_of(settled)
    outputs["party-a"]["jobs"]["verification"] = {"jobId": "202601010000000001", "status": "success", "modelId": None}
    report = federation_status(outputs, PROJECT)
    assert report.exit_code == 0 and report.problems == []
    assert "verification: success" in format_table(report)
    outputs["party-a"]["jobs"]["verification"]["status"] = "failed"
    report = federation_status(outputs, PROJECT)
    assert report.exit_code == 2
    assert report.problems[0].message == "job verification failed (job id 202601010000000001)"


def test_secrets_never_printed(settled: Path) -> None:
    outputs = outputs_of(settled)
    password = outputs["party-a"]["fateboardPassword"]
    assert password and password != "[secret]"  # rendered with --show-secrets: the value is there
    report = federation_status(outputs, PROJECT)
    for text in (format_table(report), json.dumps(report.to_json())):
        assert password not in text and "PRIVATE KEY" not in text


def test_pending_party(half_joined: Path) -> None:
    report = federation_status(outputs_of(half_joined), PROJECT)
    b = next(p for p in report.federations[0].parties if p.stack == "party-b")
    assert b.route_status == "pending" and b.join_status is None and b.certificate is None
    assert "party-b" in (b.route_reason or "")
    assert party_row(report, "exchange", 9999).join_status == "joined"
    assert report.exit_code == 1
    assert any(p.level == "pending" and p.subject == "stack party-b" and "route at exchange is pending" in p.message
               for p in report.problems)


def test_not_deployed_stack_is_pending(settled: Path) -> None:
    outputs = outputs_of(settled)
    outputs["party-b"] = {}
    report = federation_status(outputs, PROJECT)
    assert report.not_deployed == ["party-b"] and report.exit_code == 1
    assert "stack party-b: not deployed" in format_table(report)


def test_certificate_expiry(settled: Path) -> None:
    outputs = outputs_of(settled)
    outputs["exchange"]["parties"]["10000"]["certificatePem"] = certificate_pem(10)
    outputs["party-a"]["jobs"] = {}
    report = federation_status(outputs, PROJECT)
    assert report.exit_code == 0  # a warning: still healthy today
    warning = [p for p in report.problems if p.level == "warning"]
    assert len(warning) == 1 and warning[0].subject == "party 10000 (party-b)"
    assert "expires on" in warning[0].message and ("in 9 days" in warning[0].message or "in 10 days" in warning[0].message)
    assert federation_status(outputs, PROJECT, warn_days=5).problems == []
    outputs["exchange"]["parties"]["10000"]["certificatePem"] = certificate_pem(-1)
    report = federation_status(outputs, PROJECT)
    assert report.exit_code == 2 and "its certificate expired on" in report.problems[0].message


def test_refused_party_is_failing(settled: Path) -> None:
    outputs = outputs_of(settled)
    outputs["party-a"]["jobs"] = {}
    entry = outputs["exchange"]["parties"]["10000"]
    entry.update(status="refused", reason="the CSR names 10001.fate.example.org, expected 10000.fate.example.org",
                 routes=None, certificatePem=None)
    report = federation_status(outputs, PROJECT)
    assert report.exit_code == 2
    assert report.problems[0].message.startswith("refused by exchange: the CSR names 10001")


def test_cli_table_and_json(settled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--from-render", str(settled)]) == 0
    out = capsys.readouterr().out
    assert "PARTY  STACK" in out and out.rstrip().endswith("4 parties, 4 joined; 0 failing, 0 pending, 0 warnings")
    assert main(["status", "--json", "--from-render", str(settled)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exitCode"] == 0 and [f["name"] for f in data["federations"]] == ["exchange", "local"]
    # only the stacks named: the local stack's own federation is left out
    assert main(["status", "--json", "--from-render", str(settled), "exchange", "party-a", "party-b"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in data["federations"]] == ["exchange"]
    assert main(["status", "--from-render", str(settled), "party-z"]) == 3
    assert "no stack file Pulumi.party-z.yaml" in capsys.readouterr().err


def test_cli_nothing_to_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--from-render", str(tmp_path)]) == 3
    assert capsys.readouterr().err.startswith(f"error: no <stack>/outputs.json under {tmp_path}: run `python -m fedctl render")
