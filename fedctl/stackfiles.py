"""Read a project's stack files (Pulumi.yaml, Pulumi.<stack>.yaml) the way the Pulumi CLI does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    pass


def stack_names(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(project_dir).glob("Pulumi.*.yaml"))


def project_name(project_dir: Path) -> str:
    return str(yaml.safe_load((Path(project_dir) / "Pulumi.yaml").read_text())["name"])


def stack_config(project_dir: Path, stack: str) -> tuple[dict[str, Any], list[str]]:
    """The stack's config (project defaults overlaid) and the keys held as `secure:` values.

    `secure:` values are encrypted with the stack's secrets provider, which is not available offline:
    they are left out (the program then sees them as absent) and reported, never decrypted or guessed.
    """
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise StackFileError(f"no stack file {path.name}: stacks here are {', '.join(stack_names(project_dir))}")
    project = yaml.safe_load((Path(project_dir) / "Pulumi.yaml").read_text()) or {}
    config: dict[str, Any] = {}
    for key, value in (project.get("config") or {}).items():
        config[key] = value.get("default") if isinstance(value, dict) and "default" in value else value
    config.update((yaml.safe_load(path.read_text()) or {}).get("config") or {})
    encrypted = sorted(k for k, v in config.items() if isinstance(v, dict) and set(v) == {"secure"})
    return {k: v for k, v in config.items() if k not in encrypted}, encrypted
