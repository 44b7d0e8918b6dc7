"""Config errors: every message names the key as the user types it and the fix."""

from __future__ import annotations

import pulumi

CONFIG_NAMESPACE = "fate-federation"
"""The project name, so `pulumi config set party.partyId 9999 --path` needs no prefix."""


class ConfigError(pulumi.RunError):
    """A stack's config is invalid; the message names each key and its fix (shown without a traceback).

    A pulumi.RunError so that the CLI shows the message alone, without a Python traceback.
    """


def config_key(path: str) -> str:
    """The full config key of a `--path` key, e.g. `fate-federation:party.partyId`."""
    return f"{CONFIG_NAMESPACE}:{path}"


def config_error(*problems: str) -> ConfigError:
    """One error listing every problem, each already of the form `<key>: <problem and fix>`."""
    return ConfigError("invalid stack config:\n" + "\n".join(f"  {problem}" for problem in problems))
