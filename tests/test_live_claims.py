"""A volume size change checked against existing claims (stacks.live_claims, specs.sizing.claim_size_problem).

The rule, the claims a spec plans and the skip without a cluster are checked here; tests/test_engine_cluster.py
proves the whole check under the real engine against the embedded cluster's real API server.
"""

from __future__ import annotations

import pytest
import yaml

from components.fate_cluster import FateCluster, FateClusterArgs
from components.kube import DataVolume, ModuleSpec, claim_names
from fedctl.records import StackRun
from specs.party import PartyConfig
from specs.common import KubernetesConfig
from specs.sizing import claim_size_problem
from stacks import live_claims
from stacks.live_claims import PlannedClaim, party_claims, planned_claims, refuse_impossible_sizes
from tests.support.pulumi_harness import run_component

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
    monkeypatch.setattr(live_claims, "engine_is_mocked", lambda: False)  # other tests leave the mocks set
    monkeypatch.setattr(live_claims.pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    text = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "c", "user": {"token": "t"}}],  # nothing listens on port 1
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}]})
    refuse_impossible_sizes([PlannedClaim("ns", "data-db-0", "1Gi", KEY)], KubernetesConfig(), text)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("volume sizes not checked against the existing claims in the current context")


PARTIES = [
    {"partyId": 9999},
    {"partyId": 9999, "notebook": {"enabled": True}, "hdfs": {"datanodes": 3}, "sizing": "production",
     "persistence": {"sizes": {"mysql": "20Gi"}}},
    {"partyId": 9999, "mysql": {"external": {"host": "mysql.example.org"}},
     "pulsar": {"external": {"host": "pulsar.example.org"}}, "persistence": {"existingClaims": {"fateflow": "mine"}}},
    {"partyId": 9999, "persistence": {"enabled": False}},
]


def _fate_cluster(party: dict[str, object], resize_claims: bool) -> StackRun:
    config = PartyConfig.model_validate(party)

    def program() -> dict[str, object]:
        FateCluster("party", FateClusterArgs(party=config, exchange=None, external_mysql_password="pw",
                                             resize_claims=resize_claims))
        return {}

    return run_component(program)


@pytest.mark.parametrize("party", PARTIES)
def test_the_planned_claims_are_the_claim_templates_fate_cluster_makes(party: dict[str, object]) -> None:
    """Under the SDK mocks: what the stacks check before registering (party_claims) is what FateCluster's
    StatefulSets really claim, name and size, for each replica."""
    run = _fate_cluster(party, resize_claims=False)
    made = sorted(
        (f"{template['metadata']['name']}-{statefulset['metadata']['name']}-{ordinal}",
         template["spec"]["resources"]["requests"]["storage"])
        for statefulset in run.k8s_objects("StatefulSet")
        for template in statefulset["spec"].get("volumeClaimTemplates") or []
        for ordinal in range(statefulset["spec"]["replicas"]))
    config = PartyConfig.model_validate(party)
    assert sorted((c.name, c.size) for c in party_claims(config)) == made
    assert all(c.namespace == "fate-9999" for c in party_claims(config))


def test_with_resize_claims_each_replica_claim_is_patched_to_the_size_and_kept_on_destroy() -> None:
    run = _fate_cluster(PARTIES[1], resize_claims=True)
    patches = run.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
    assert sorted((p.inputs["metadata"]["name"], p.inputs["spec"]["resources"]["requests"]["storage"])
                  for p in patches) == sorted(
        (c.name, c.size) for c in party_claims(PartyConfig.model_validate(PARTIES[1])))
    assert all(p.inputs["metadata"]["annotations"]["pulumi.com/patchForce"] == "true" for p in patches)
    assert not _fate_cluster(PARTIES[1], resize_claims=False).of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")


def test_the_size_key_names_the_partys_config_path() -> None:
    config = PartyConfig.model_validate(PARTIES[1])
    keys = {c.name: c.size_key for c in party_claims(config, "local.parties[1]")}
    assert keys["data-mysql-0"] == "fate-federation:local.parties[1].persistence.sizes.mysql"
    assert keys["dfs-datanode-2"] == "fate-federation:local.parties[1].persistence.sizes.datanode"
