"""checkov over the rendered manifests of every stack: every check passes except the documented skips
(tests/checkov-skips.yaml). Rendered with the engine mocks (doubles: Pulumi engine, Kubernetes API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedctl.render import write
from tests.support.manifest_checks import checkov_available, run_checkov, skipped_checks
from tests.support.peers import require_peer


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, rendered_federation: dict[str, Any]) -> Path:
    require_peer("checkov", checkov_available(), "run `make test` (it installs checkov in its own venv)")
    out = tmp_path_factory.mktemp("rendered")
    for item in rendered_federation.values():
        write(item, out, show_secrets=False)
    return out


@pytest.mark.parametrize("stack", ["exchange", "party-a", "party-b", "local"])
def test_checkov_passes(rendered: Path, stack: str) -> None:
    failed = run_checkov(rendered / stack / "manifests")
    assert failed == [], [(f["check_id"], f["resource"]) for f in failed]


def test_every_skip_is_needed_and_explained(rendered: Path) -> None:
    """Each documented skip is a check the rendered manifests really fail (a skip no longer needed is
    removed), and each says why in a sentence of its own."""
    skips = skipped_checks()
    failing = {f["check_id"] for f in run_checkov(rendered, skip=[])}
    assert sorted(set(skips) - failing) == [], "skipped checks that pass now: remove them from checkov-skips.yaml"
    reasons = [" ".join(reason.split()) for reason in skips.values()]
    assert all(reason.endswith(".") and " " in reason for reason in reasons)
    assert len(set(reasons)) == len(reasons), "two skips share one reason"


def test_checkov_catches_a_privileged_pod(tmp_path: Path) -> None:
    """The check can fail: a privileged pod without a NetworkPolicy is reported."""
    require_peer("checkov", checkov_available(), "run `make test` (it installs checkov in its own venv)")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: default}\n"
        "spec:\n  containers:\n  - name: c\n    image: busybox:1.36.1\n    securityContext: {privileged: true}\n")
    failed = {f["check_id"] for f in run_checkov(tmp_path)}
    assert {"CKV_K8S_16", "CKV2_K8S_6"} & failed
