"""The committed render (rendered/) is what the program renders now: every change to the manifests is
seen in review as a diff of rendered/. Test doubles: the Pulumi engine and the API server (fedctl.mocks)."""

from __future__ import annotations

from pathlib import Path

import yaml

from fedctl.render import Rendered
from fedctl.snapshot import REGENERATE, SNAPSHOT_DIR, differences, normalise, write_snapshot


def test_committed_render_matches_the_program(rendered_federation: dict[str, Rendered], tmp_path: Path) -> None:
    write_snapshot(rendered_federation.values(), tmp_path)
    diff = differences(SNAPSHOT_DIR, tmp_path)
    assert not diff, (f"rendered/ is not what the program renders now. If the change is meant, run {REGENERATE} "
                      "and commit rendered/ with it:\n" + "".join(diff))


def test_the_snapshot_holds_no_secret_and_no_generated_value() -> None:
    files = [p for p in SNAPSHOT_DIR.rglob("*") if p.is_file()]
    assert {p.relative_to(SNAPSHOT_DIR).parts[0] for p in files} == {"exchange", "party-a", "party-b", "local"}
    for path in files:
        text = path.read_text()
        assert "-----BEGIN" not in text, f"{path}: a PEM block was not normalised"
        if path.suffix == ".yaml":
            manifest = yaml.safe_load(text)
            if manifest["kind"] == "Secret":
                values = {**(manifest.get("stringData") or {}), **(manifest.get("data") or {})}
                assert set(values.values()) <= {"[secret]"}, f"{path}: a Secret value is not redacted"
    fateflow = yaml.safe_load((SNAPSHOT_DIR / "party-a" / "manifests" / "statefulset-fate-9999-fateflow.yaml")
                              .read_text())
    assert fateflow["spec"]["template"]["metadata"]["annotations"]["fate-federation/config-checksum"] == \
        "<checksum keyed by a generated secret>"


def test_normalise_replaces_generated_values_only() -> None:
    workload = {"kind": "Deployment", "metadata": {"annotations": {"keep": "0123456789abcdef"}}, "spec": {
        "template": {"metadata": {"annotations": {"fate-federation/config-checksum": "0123456789abcdef"}}}}}
    normalised = normalise(workload)
    assert normalised["spec"]["template"]["metadata"]["annotations"]["fate-federation/config-checksum"] == \
        "<checksum keyed by a generated secret>"
    assert normalised["metadata"] == {"annotations": {"keep": "0123456789abcdef"}}
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    assert normalise({"caCertPem": pem, "note": f"ca: {pem}"}) == {
        "caCertPem": "<generated certificate>", "note": "ca: <generated certificate>"}
