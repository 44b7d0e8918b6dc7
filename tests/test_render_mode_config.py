"""kubernetes.renderYamlToDirectory: the provider renders manifests instead of calling an API server.

Pure validation plus the provider's inputs under the SDK mocks; the real provider in render mode runs in
tests/test_engine_federation.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from specs.errors import ConfigError
from specs.loading import parse_settings


def party(kubernetes: dict[str, Any]) -> dict[str, Any]:
    return {"role": "party", "kubernetes": kubernetes, "party": {"partyId": 9999},
            "exchange": {"stack": "organization/fate-federation/exchange"}}


def test_render_mode_names_the_directory() -> None:
    settings = parse_settings(party({"renderYamlToDirectory": "/tmp/manifests"}))
    assert settings.kubernetes.render_yaml_to_directory == "/tmp/manifests"
    assert settings.kubernetes.context is None


@pytest.mark.parametrize("kubernetes", [
    {"renderYamlToDirectory": "/tmp/manifests", "context": "party-a"},
    {"renderYamlToDirectory": "/tmp/manifests", "kubeconfigPath": "/root/.kube/config"},
])
def test_render_mode_with_a_cluster_is_refused_with_the_fix(kubernetes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(party(kubernetes))
    message = str(error.value)
    assert "fate-federation:kubernetes" in message and "remove context/kubeconfigPath" in message


def test_an_empty_render_directory_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(party({"renderYamlToDirectory": ""}))
    assert "fate-federation:kubernetes.renderYamlToDirectory" in str(error.value)
