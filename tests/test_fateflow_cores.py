"""Every shipped stack's Spark pool can run a job with FATE Flow's own default resources.

FATE Flow 2.x registers `computing.spark.cores` from service_conf.yaml as the engine's pool and grants a job
only when the pool holds the job's cores (`ResourceManager.apply_for_job_resource`: cores > total -> refused).
A job's cores are `JobController.calculate_resource`: max(job_cores, num-executors x executor-cores of
task_run.spark), from job_default_config.yaml when the DAG sets none. The defaults are read here from the
INSTALLED FATE Flow (its own JobDefaultConfig loader, in the FATE Flow venv: scripts/fateflow-venv.sh), and
the pool from the service_conf.yaml each stack renders (dev sizing, as shipped; local stack included).
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from facts.sizing import FATEFLOW_JOB_CORES
from specs.spark import spark_pool_problem
from tests.support.peers import require_peer
from tests.support.pulumi_harness import run_program

LOAD_DEFAULTS = """
import json
from fate_flow.runtime.job_default_config import JobDefaultConfig
JobDefaultConfig.load()
print(json.dumps({"job_cores": JobDefaultConfig.job_cores, "task_run": JobDefaultConfig.task_run}))
"""


@cache
def fate_flow_job_cores() -> int:
    venv = os.environ.get("FATE_FLOW_VENV", "")
    require_peer("FATE Flow venv", bool(venv) and Path(venv, "bin", "python").exists(),
                 "set FATE_FLOW_VENV to the path scripts/fateflow-venv.sh prints")
    result = subprocess.run([f"{venv}/bin/python", "-c", LOAD_DEFAULTS], capture_output=True, text=True,
                            timeout=120, check=True, env={**os.environ, "HF_HOME": f"{venv}/hf"})
    defaults = json.loads(result.stdout.strip().splitlines()[-1])
    spark = defaults["task_run"]["spark"]
    return max(int(defaults["job_cores"]), int(spark["num-executors"]) * int(spark["executor-cores"]))


def spark_pools(stack: str) -> dict[str, Any]:
    """namespace -> computing.spark.cores from each FATE Flow service_conf.yaml the stack renders."""
    run = run_program(stack)
    pools = {}
    for secret in run.k8s_objects("Secret"):
        if secret["metadata"]["name"] == "fateflow-service-conf":
            conf = yaml.safe_load(secret["stringData"]["service_conf.yaml"])
            pools[secret["metadata"]["namespace"]] = conf["computing"]["spark"]["cores"]
    assert pools, f"stack {stack} renders no FATE Flow service_conf.yaml"
    return pools


def test_the_recorded_fact_is_fate_flows_own_default() -> None:
    """facts.sizing.FATEFLOW_JOB_CORES (used by the config check) is what the installed FATE Flow asks."""
    assert FATEFLOW_JOB_CORES["2"] == fate_flow_job_cores()


def test_a_pool_too_small_for_a_default_job_is_refused_with_the_keys_to_raise() -> None:
    problem = spark_pool_problem(workers=1, sizing="dev", override=("1", "2Gi"), fate_version="2.0.0",
                                 key="fate-federation:party")
    assert problem is not None
    assert "fate-federation:party.spark.workers" in problem and "set spark.workers to 4" in problem
    assert "resources.spark-worker.cpu to at least 4" in problem
    assert spark_pool_problem(workers=1, sizing="dev", override=None, fate_version="2.0.0", key="k") is None
    assert spark_pool_problem(workers=2, sizing="dev", override=("1", "2Gi"), fate_version="1.11.2", key="k") is None


@pytest.mark.parametrize("stack", ["party-a", "party-b", "local"])
def test_spark_pool_holds_a_default_job(stack: str) -> None:
    job_cores = fate_flow_job_cores()
    for namespace, pool in spark_pools(stack).items():
        assert pool >= job_cores, (
            f"{stack}/{namespace}: computing.spark.cores is {pool}, but FATE Flow grants a job only when the "
            f"pool holds its {job_cores} cores: every job would wait forever")
