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
