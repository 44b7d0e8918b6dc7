"""Tests that need a real peer (Traffic Server, FATE Flow, checkov) skip without it, except under
`make test` / CI, where FATE_FEDERATION_REQUIRE_PEERS=1 turns a missing peer into a failure."""

from __future__ import annotations

import os

import pytest


def require_peer(name: str, available: bool, how: str) -> None:
    if available:
        return
    message = f"{name} is not available: {how}"
    if os.environ.get("FATE_FEDERATION_REQUIRE_PEERS") == "1":
        pytest.fail(message)
    pytest.skip(message)
