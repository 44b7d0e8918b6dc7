"""Read a project's stack files (Pulumi.yaml, Pulumi.<stack>.yaml) the way the Pulumi CLI does.

`secure:` values are encrypted with the stack's secrets provider, which is not available offline: they
are never decrypted or guessed, and reported by key. A whole key held encrypted reaches the program as a
secret placeholder (so the program does not call a configured secret missing); a `secure:` value inside
an object is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specs.user_yaml import UserYamlError, load_user_yaml


class StackFileError(Exception):
    """A missing or unreadable stack file; the message names the file."""


ENCRYPTED_PLACEHOLDER = json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [],
                                    "encrypted": "not decryptable offline"})
"""The value a program gets offline for a whole config key held encrypted, as a secret. One line of JSON:
it reads as an opaque one-line value (a password) and as an empty kubeconfig, so a program that checks
its secrets' presence and shape runs on."""


@dataclass
class StackConfig:
    values: dict[str, Any]
    """`project:key` -> value (objects stay objects), project defaults overlaid by the stack file."""
    encrypted: list[str] = field(default_factory=list)
    """Keys (dotted paths inside objects) held as `secure:` values, left out of `values`."""

    @property
    def placeholders(self) -> dict[str, str]:
        """Whole keys held encrypted -> ENCRYPTED_PLACEHOLDER (hand them to the program as secrets)."""
        return {key: ENCRYPTED_PLACEHOLDER for key in self.encrypted if is_whole_key(key)}


def is_whole_key(path: str) -> bool:
    """Whether an `encrypted` path is a whole config key (`project:key`), not a value inside an object."""
    return not any(c in path.split(":", 1)[-1] for c in ".[")


def _load(path: Path) -> dict[str, Any]:
    """A stack or project file, read as the users' other files are (no aliases, no repeated keys: the
    Pulumi CLI refuses repeated keys too)."""
    try:
        loaded = load_user_yaml(path.read_text())
    except FileNotFoundError:
        raise StackFileError(f"{path.name} not found in {path.parent}") from None
    except UserYamlError as error:
        raise StackFileError(f"{path.name} is {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level")
    return loaded


def project_name(project_dir: Path) -> str:
    name = _load(Path(project_dir) / "Pulumi.yaml").get("name")
    if not name:
        raise StackFileError(f"Pulumi.yaml in {project_dir} has no `name`")
    return str(name)


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a stack file, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(project_dir).glob("Pulumi.*.yaml"))


def _qualified(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _without_secure(value: Any, path: str, encrypted: list[str]) -> Any:
    """The value minus its `secure:` leaves (recorded in `encrypted`); None when it is one."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        encrypted.append(path)
        return None
    if isinstance(value, dict):
        kept = {k: _without_secure(v, f"{path}.{k}", encrypted) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None or value[k] is None}
    if isinstance(value, list):
        return [_without_secure(v, f"{path}[{i}]", encrypted) for i, v in enumerate(value)]
    return value


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """The stack's config as the CLI would hand it to the program, minus what is encrypted."""
    project_dir = Path(project_dir)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise StackFileError(f"no stack file {path.name} in {project_dir}: the stacks there are "
                             f"{', '.join(stack_names(project_dir)) or 'none'}")
    project_file = _load(project_dir / "Pulumi.yaml")
    project = project_name(project_dir)
    merged: dict[str, Any] = {}
    for key, spec in (project_file.get("config") or {}).items():
        # project-level config: `key: value` or `key: {type, default|value, description, secret}`
        if isinstance(spec, dict) and ({"default", "value"} & set(spec)):
            merged[_qualified(key, project)] = spec.get("value", spec.get("default"))
        elif not isinstance(spec, dict) or set(spec) == {"secure"}:
            merged[_qualified(key, project)] = spec
    stack_file_config = _load(path).get("config") or {}
    if not isinstance(stack_file_config, dict):
        raise StackFileError(f"{path.name}: `config` must be a mapping of keys to values")
    merged.update({_qualified(str(k), project): v for k, v in stack_file_config.items()})
    encrypted: list[str] = []
    values = {key: _without_secure(value, key, encrypted) for key, value in merged.items()}
    return StackConfig({k: v for k, v in values.items() if k not in encrypted}, encrypted)


def stack_config(project_dir: Path, stack: str) -> tuple[dict[str, Any], list[str]]:
    """(config values, encrypted keys left out): read_stack_config as a pair."""
    config = read_stack_config(project_dir, stack)
    return config.values, config.encrypted
