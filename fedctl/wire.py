"""Values as the engine sends them: secret envelopes, unknowns, and their plain or redacted forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fedctl.sdk_adapter import SECRET_KEY, SECRET_SIG, is_unknown

REDACTED = "[secret]"
"""How a secret value shows in the render (as `pulumi stack output` shows it)."""


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_KEY) == SECRET_SIG


def make_secret(value: Any) -> dict[str, Any]:
    """The value in a secret envelope (as the engine makes an output secret)."""
    return value if is_secret(value) else {SECRET_KEY: SECRET_SIG, "value": value}


def _walk(value: Any, on_secret: Callable[[Any], Any]) -> Any:
    if is_secret(value):
        return on_secret(value)
    if isinstance(value, dict):
        return {k: _walk(v, on_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_secret) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has no integers
    return value


def reveal(value: Any) -> Any:
    """The plain value: secret envelopes removed, integral floats made ints."""
    return _walk(value, lambda secret: reveal(secret.get("value")))


def redact(value: Any) -> Any:
    """The value with every secret replaced by "[secret]"."""
    return _walk(value, lambda _secret_value: REDACTED)


def anywhere(value: Any, found: Callable[[Any], bool]) -> bool:
    """Whether `found` holds for the value or anything nested in it."""
    if found(value):
        return True
    if isinstance(value, dict):
        return any(anywhere(v, found) for v in value.values())
    if isinstance(value, list):
        return any(anywhere(v, found) for v in value)
    return False


def contains_secret(value: Any) -> bool:
    return anywhere(value, is_secret)


def has_unknown(value: Any) -> bool:
    return anywhere(value, is_unknown)
