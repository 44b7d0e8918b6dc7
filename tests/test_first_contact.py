"""Issue 8 ("first contact") on the manifests users see: what would stop or expose a real deployment.

Each test failed on the components before the fix. Rendered with the test harness from the shipped stack
files (party-a: persistence on, ingress on, LoadBalancer; local: one cluster).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from tests.support.pulumi_harness import run_program


@cache
def party_a() -> Any:
    return run_program("party-a")


def test_spark_workers_never_mount_the_secret_with_the_mysql_password() -> None:
    """KubeFATE mounts a dummy service_conf.yaml on the workers; FATE Flow's holds the MySQL password."""
    worker = party_a().k8s_object("Deployment", "spark-worker")["spec"]["template"]["spec"]
    assert all("secret" not in volume for volume in worker["volumes"])
    config_map = next(v["configMap"]["name"] for v in worker["volumes"] if "configMap" in v)
    conf = yaml.safe_load(party_a().k8s_object("ConfigMap", config_map)["data"]["service_conf.yaml"])
    assert "database" not in conf and conf["computing"]["spark"]["cores"] >= 4
    cores = {e["name"]: e["value"] for e in worker["containers"][0]["env"]}["SPARK_WORKER_CORES"]
    assert int(cores) * party_a().k8s_object("Deployment", "spark-worker")["spec"]["replicas"] == \
        conf["computing"]["spark"]["cores"]  # the pool FATE Flow schedules from is what the workers offer


def _fateflow_checksum(state: Any = None) -> str:
    from components.fate_cluster import FateCluster, FateClusterArgs
    from facts.labels import CONFIG_CHECKSUM_ANNOTATION
    from specs.party import PartyConfig
    from tests.support.pulumi_harness import run_component

    party = PartyConfig.model_validate({"partyId": 9999, "mysql": {"external": {"host": "192.0.2.30"}}})

    def program() -> dict[str, Any]:
        FateCluster("party", FateClusterArgs(party=party, external_mysql_password="weak"))
        return {}

    run = run_component(program, state=state)
    annotations = run.k8s_object("StatefulSet", "fateflow")["spec"]["template"]["metadata"]["annotations"]
    return str(annotations[CONFIG_CHECKSUM_ANNOTATION])


def test_config_checksum_cannot_test_a_password_guess() -> None:
    """The same files (a given external MySQL password) in two fresh stacks: a plain hash would be equal,
    so anyone reading a pod spec could hash guesses of the password and compare. Keyed per stack, it differs."""
    assert _fateflow_checksum() != _fateflow_checksum()
