"""Strict schema validation of Kubernetes objects, and checkov over rendered manifests.

checkov lives in a venv of its own (its pins clash with the project's); scripts/install-checkov.sh
creates it and is the one place that knows where it is: checkov_venv() asks the script.
"""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.31.0"
"""The Kubernetes version every object is validated against (the oldest we support)."""
REPO = Path(__file__).resolve().parents[2]
CHECKOV_SCRIPT = REPO / "scripts" / "install-checkov.sh"
CHECKOV_SKIPS = REPO / "tests" / "checkov-skips.yaml"


class ManifestError(AssertionError):
    """An object the API server of KUBERNETES_VERSION would reject; names the object and the field."""


def _describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def validate_manifest(obj: dict[str, Any]) -> None:
    """Raise ManifestError naming the object unless it matches the Kubernetes KUBERNETES_VERSION schema
    strictly (unknown fields are errors, as with `kubectl apply --validate=strict`)."""
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path) or "(top level)"
        raise ManifestError(f"{_describe(obj)}: {path}: {error.message}") from None
    except kubernetes_validate.SchemaNotFoundError:
        raise ManifestError(f"{_describe(obj)}: Kubernetes {KUBERNETES_VERSION} has no {obj.get('apiVersion')} "
                            f"{obj.get('kind')} (a removed API, a typo, or a CRD this check cannot know)") from None


@lru_cache(maxsize=1)
def checkov_venv() -> Path | None:
    """The checkov venv as scripts/install-checkov.sh reports it (its last line), or None if not installed.
    Never installs: `make test` runs the script first."""
    result = subprocess.run(["bash", str(CHECKOV_SCRIPT), "--no-install"], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return Path(result.stdout.strip().splitlines()[-1])


def checkov_available() -> bool:
    venv = checkov_venv()
    return venv is not None and (venv / "bin" / "checkov").exists()


def skipped_checks() -> dict[str, str]:
    """The checks skipped project-wide: id -> reason."""
    return {entry["id"]: entry["reason"] for entry in yaml.safe_load(CHECKOV_SKIPS.read_text())["skip"]}


def run_checkov(manifest_dir: Path, skip: list[str] | None = None) -> list[dict[str, Any]]:
    """checkov's failed checks (dicts with check_id, resource, file_path, ...) over a directory of manifests,
    minus the project's documented skips (or the checks in `skip`)."""
    venv = checkov_venv()
    if venv is None:
        raise AssertionError(f"checkov is not installed: run bash {CHECKOV_SCRIPT.relative_to(REPO)}")
    result = subprocess.run(
        [str(venv / "bin" / "checkov"), "-d", str(manifest_dir), "--framework", "kubernetes", "--output", "json",
         "--quiet", "--compact", *(["--skip-check", ",".join(skipped)] if (skipped := (
             skipped_checks() if skip is None else skip)) else [])],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if not result.stdout.strip():
        raise AssertionError(f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    return [check for r in reports for check in r.get("results", {}).get("failed_checks", [])]
