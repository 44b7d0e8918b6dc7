"""Strict schema validation of Kubernetes objects, and checkov over rendered manifests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.31.0"
"""The Kubernetes version every object is validated against (the oldest we support)."""
CHECKOV_SKIPS = Path(__file__).resolve().parents[1] / "checkov-skips.yaml"
CHECKOV_VERSION = "3.3.30"


def validate_manifest(obj: dict[str, Any]) -> None:
    """Raise AssertionError naming the object if it does not match the pinned schema (strict)."""
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        meta = obj.get("metadata", {})
        path = "/".join(str(p) for p in error.path)
        raise AssertionError(
            f"{obj.get('kind')} {meta.get('namespace')}/{meta.get('name')}: {path}: {error.message}"
        ) from None


def checkov_venv() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fate-federation" / f"checkov-{CHECKOV_VERSION}"


def checkov_available() -> bool:
    return (checkov_venv() / "bin" / "checkov").exists()


def skipped_checks() -> dict[str, str]:
    return {entry["id"]: entry["reason"] for entry in yaml.safe_load(CHECKOV_SKIPS.read_text())["skip"]}


def run_checkov(manifest_dir: Path) -> list[dict[str, Any]]:
    """Failed checkov checks over a directory of manifests, with the project's documented skips."""
    result = subprocess.run(
        [str(checkov_venv() / "bin" / "checkov"), "-d", str(manifest_dir), "--framework", "kubernetes",
         "--output", "json", "--quiet", "--compact", "--skip-check", ",".join(skipped_checks())],
        capture_output=True, text=True, timeout=600,
    )
    if not result.stdout.strip():
        raise AssertionError(f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    return [check for r in reports for check in r.get("results", {}).get("failed_checks", [])]
