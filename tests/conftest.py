"""Session fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from fedctl.render import Rendered
from tests.support.pulumi_harness import render_federation


@pytest.fixture(scope="session")
def rendered_federation() -> dict[str, Rendered]:
    """Every shipped stack rendered once per session as one settled federation (fedctl.render under the
    engine mocks: test doubles for the Pulumi engine and the API server). Read it, never change it."""
    return render_federation()
