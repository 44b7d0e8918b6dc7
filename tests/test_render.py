"""`python -m fedctl render`, the offline render (doubles: the Pulumi engine and the Kubernetes API
server, through fedctl.engine; certificates are real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from fedctl.__main__ import main
from tests.support.pulumi_harness import PROJECT_DIR


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["render", "--out", str(out), "--project", str(PROJECT_DIR)]) == 0
    return out


def test_every_stack_gets_manifests_and_outputs(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == ["exchange", "local", "party-a", "party-b"]
    manifests = sorted(p.name for p in (rendered / "party-a" / "manifests").iterdir())
    assert "statefulset-fate-9999-fateflow.yaml" in manifests and "namespace-fate-9999.yaml" in manifests
    fateflow = yaml.safe_load((rendered / "party-a" / "manifests" / "statefulset-fate-9999-fateflow.yaml").read_text())
    assert fateflow["kind"] == "StatefulSet" and fateflow["metadata"]["namespace"] == "fate-9999"
    outputs = json.loads((rendered / "party-a" / "outputs.json").read_text())
    assert outputs["joinStatus"] == "joined"


def test_secrets_are_redacted(rendered: Path) -> None:
    secret = yaml.safe_load((rendered / "party-a" / "manifests" / "secret-fate-9999-mysql-credentials.yaml").read_text())
    assert set(secret["stringData"].values()) == {"[secret]"}
    outputs = json.loads((rendered / "party-a" / "outputs.json").read_text())
    assert outputs["fateboardPassword"] == "[secret]"
    text = "".join(p.read_text() for p in (rendered / "party-a" / "manifests").iterdir())
    assert "PRIVATE KEY" not in text


def test_show_secrets_and_real_certificates(tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(PROJECT_DIR), "--show-secrets"]) == 0
    cert = yaml.safe_load((tmp_path / "party-b" / "manifests" / "secret-fate-10000-pulsar-cert.yaml").read_text())
    assert cert["stringData"]["broker.key-pk8.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    ca = json.loads((tmp_path / "exchange" / "outputs.json").read_text())["caCertPem"]
    issued = x509.load_pem_x509_certificate(cert["stringData"]["broker.cert.pem"].encode())
    issued.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.encode()))


def test_config_error_is_reported_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (project / "__main__.py").symlink_to(PROJECT_DIR / "__main__.py")
    (project / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {
        "fate-federation:role": "party", "fate-federation:kubernetes": {"context": "x"},
        "fate-federation:party": {"partyId": 0}, "fate-federation:exchange": {"stack": "organization/p/e"}}}))
    assert main(["render", "--out", str(tmp_path / "out"), "--project", str(project)]) == 1
    error = capsys.readouterr().err
    assert "fate-federation:party.partyId" in error and "range" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out").exists()
