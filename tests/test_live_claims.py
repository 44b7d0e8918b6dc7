"""A volume size change checked against existing claims (stacks.live_claims, specs.sizing.claim_size_problem).

The rule and the kubeconfig reading are checked here without a cluster; tests/test_engine_cluster.py
proves the whole check under the real engine against the embedded cluster's real API server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.kube import DataVolume, ModuleSpec, claim_names
from specs.common import KubernetesConfig
from specs.sizing import claim_size_problem
from stacks import live_claims
from stacks.live_claims import CannotRead, PlannedClaim, check_claim_sizes, cluster_client, planned_claims

KEY = "fate-federation:party.persistence.sizes.mysql"


def test_a_same_size_or_a_growth_the_class_allows_is_no_problem() -> None:
    assert claim_size_problem(KEY, "1Gi", "fate-9999/data-mysql-0", "1024Mi", "fast", expandable=False) is None
    assert claim_size_problem(KEY, "2Gi", "fate-9999/data-mysql-0", "1Gi", "fast", expandable=True) is None


def test_a_shrink_names_the_key_the_claim_and_the_smallest_size() -> None:
    problem = claim_size_problem(KEY, "1Gi", "fate-9999/data-mysql-0", "5Gi", "fast", expandable=True)
    assert problem == (f"{KEY} is 1Gi, but the volume claim fate-9999/data-mysql-0 already requests 5Gi and "
                       f"Kubernetes cannot shrink a volume: set {KEY} to 5Gi or more")


def test_a_growth_the_class_refuses_names_the_key_the_class_and_the_fix() -> None:
    problem = claim_size_problem(KEY, "10Gi", "fate-9999/data-mysql-0", "5Gi", "standard", expandable=False)
    assert problem is not None
    assert problem.startswith(f"{KEY} is 10Gi, but the volume claim fate-9999/data-mysql-0 requests 5Gi and its "
                              "StorageClass standard does not allow volume expansion: ")
    assert "kubectl patch storageclass standard -p '{\"allowVolumeExpansion\": true}'" in problem
    assert problem.endswith(f"keep {KEY} at 5Gi")
    static = claim_size_problem(KEY, "10Gi", "fate-9999/data-mysql-0", "5Gi", None, expandable=False)
    assert static == (f"{KEY} is 10Gi, but the volume claim fate-9999/data-mysql-0 requests 5Gi and has no "
                      f"StorageClass (a static volume), which Kubernetes cannot grow: keep {KEY} at 5Gi")


def _spec(name: str, replicas: int = 1, **data: object) -> ModuleSpec:
    volume = DataVolume(name="data", mount_path="/data", size="3Gi", size_key=KEY, **data)  # type: ignore[arg-type]
    return ModuleSpec(name=name, image="mysql:8.0", ports={"mysql": 3306}, stateful=True, replicas=replicas,
                      data=volume)


def test_planned_claims_are_the_statefulset_controllers_names_for_each_replica() -> None:
    assert claim_names("dfs", "datanode", 3) == ["dfs-datanode-0", "dfs-datanode-1", "dfs-datanode-2"]
    claims = planned_claims("fate-9999", [_spec("datanode", replicas=2), _spec("mysql", existing_claim="mine"),
                                          _spec("pulsar", persistent=False)])
    assert claims == [PlannedClaim("fate-9999", f"data-datanode-{i}", "3Gi", KEY) for i in (0, 1)]


def test_render_mode_reads_no_cluster() -> None:
    render = KubernetesConfig(render_yaml_to_directory="/tmp/manifests")
    check_claim_sizes([PlannedClaim("ns", "data-db-0", "1Gi", KEY)], render)  # no kubeconfig needed


def _kubeconfig(server: str, user: dict[str, object], name: str = "c") -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}]}


def test_the_client_uses_the_stacks_context_and_its_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.write_text(yaml.safe_dump(_kubeconfig("https://127.0.0.1:6443", {"token": "one"}, "one")))
    second.write_text(yaml.safe_dump(_kubeconfig("https://127.0.0.1:7443", {"token": "two"}, "two")))
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    with cluster_client(KubernetesConfig(context="two"), None) as client:
        assert (str(client.base_url), client.headers["Authorization"]) == ("https://127.0.0.1:7443", "Bearer two")
    with cluster_client(KubernetesConfig(), None) as client:  # the first file's current context
        assert str(client.base_url) == "https://127.0.0.1:6443"
    with pytest.raises(CannotRead, match="no context 'three'"):
        with cluster_client(KubernetesConfig(context="three"), None):
            pass


def test_the_secret_kubeconfig_wins_over_the_ambient_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    text = yaml.safe_dump(_kubeconfig("https://127.0.0.1:8443", {"token": "secret"}))
    with cluster_client(KubernetesConfig(), text) as client:
        assert str(client.base_url) == "https://127.0.0.1:8443"


def test_an_unreachable_cluster_skips_the_check_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider reports an unreachable cluster in its own words; the check only warns."""
    warnings: list[str] = []
    monkeypatch.setattr(live_claims.pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    text = yaml.safe_dump(_kubeconfig("https://127.0.0.1:1", {"token": "t"}))  # nothing listens on port 1
    check_claim_sizes([PlannedClaim("ns", "data-db-0", "1Gi", KEY)], KubernetesConfig(), text)
    assert len(warnings) == 1 and warnings[0].startswith("volume sizes not checked against the cluster's claims")


def test_legacy_auth_providers_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    text = yaml.safe_dump(_kubeconfig("https://127.0.0.1:8443", {"auth-provider": {"name": "gcp"}}))
    with pytest.raises(CannotRead, match="authenticates in a way"):
        with cluster_client(KubernetesConfig(), text):
            pass


def test_an_exec_plugins_token_is_used(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.sh"
    plugin.write_text("#!/bin/sh\necho '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"from-exec\"}}'\n")
    plugin.chmod(0o700)
    text = yaml.safe_dump(_kubeconfig("https://127.0.0.1:8443", {"exec": {"command": str(plugin)}}))
    with cluster_client(KubernetesConfig(), text) as client:
        assert client.headers["Authorization"] == "Bearer from-exec"
