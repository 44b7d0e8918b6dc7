"""Session fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedctl.render import Rendered, render_stacks, write
from tests.support.pulumi_harness import PROJECT_DIR, render_federation


@pytest.fixture(scope="session")
def rendered_federation() -> dict[str, Rendered]:
    """Every shipped stack rendered once per session as one settled federation (fedctl.render under the
    engine mocks: test doubles for the Pulumi engine and the API server). Read it, never change it."""
    return render_federation()


@pytest.fixture(scope="session")
def settled_render_dir(rendered_federation: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's federation written as `fedctl render --show-secrets` writes it (DIR/<stack>/...), so a
    reader that leaked a secret would show the real value. Read it, never change it."""
    out = tmp_path_factory.mktemp("settled")
    for rendered in rendered_federation.values():
        write(rendered, out, show_secrets=True)
    return out


@pytest.fixture(scope="session")
def half_joined_render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """exchange and party-a settled, party-b never ran (what the exchange reports before party-b's first
    `up`): one routed party, one pending. Read it, never change it."""
    out = tmp_path_factory.mktemp("half")
    for rendered in render_stacks(PROJECT_DIR, ["exchange", "party-a"], isolated=True):
        write(rendered, out, show_secrets=False)
    return out
