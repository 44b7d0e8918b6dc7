"""The Spark pool a party's workers offer, checked against what FATE Flow asks for a job."""

from __future__ import annotations

from facts.sizing import FATEFLOW_JOB_CORES, Sizing, spark_worker_cores
from facts.versions import is_fate_2


def spark_pool_problem(*, workers: int, sizing: Sizing, override: tuple[str, str] | None, fate_version: str,
                       key: str) -> str | None:
    """Why this Spark pool can never run a FATE job, or None. `key` is where the party sits in the config
    (e.g. `fate-federation:party`); the message names `spark.workers` and `resources.spark-worker.cpu`.

    FATE Flow grants a job only when the pool (computing.spark.cores = workers x cores per worker) holds
    all the cores it asks (facts.sizing.FATEFLOW_JOB_CORES); a smaller pool leaves every job waiting.
    """
    per_worker = spark_worker_cores(sizing, override)
    pool, needed = workers * per_worker, FATEFLOW_JOB_CORES["2" if is_fate_2(fate_version) else "1"]
    if pool >= needed:
        return None
    return (f"{key}.spark.workers: {workers} worker(s) x {per_worker} core(s) is a Spark pool of {pool}, but FATE "
            f"Flow {fate_version} asks {needed} cores for a job and would never start one: set spark.workers to "
            f"{-(-needed // per_worker)}, or resources.spark-worker.cpu to at least {-(-needed // workers)}")

