"""A volume size change checked against existing claims (stacks.live_claims, specs.sizing.claim_size_problem).

The rule, the claims a spec plans and the skip without a cluster are checked here; tests/test_engine_cluster.py
proves the whole check under the real engine against the embedded cluster's real API server.
"""

from __future__ import annotations

import pytest
import yaml

from components.kube import DataVolume, ModuleSpec, claim_names
from specs.common import KubernetesConfig
from specs.sizing import claim_size_problem
from stacks import live_claims
from stacks.live_claims import PlannedClaim, planned_claims, refuse_impossible_sizes

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
    refuse_impossible_sizes([PlannedClaim("ns", "data-db-0", "1Gi", KEY)], render)  # no kubeconfig needed


def test_an_unreachable_cluster_skips_the_check_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider reports an unreachable cluster in its own words; the check only warns."""
    warnings: list[str] = []
    monkeypatch.setattr(live_claims.pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    text = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "c", "user": {"token": "t"}}],  # nothing listens on port 1
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}]})
    refuse_impossible_sizes([PlannedClaim("ns", "data-db-0", "1Gi", KEY)], KubernetesConfig(), text)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("volume sizes not checked against the existing claims in the current context")
