"""Sizing presets (requests, limits, volume sizes) and the production minimums: one place for both.

The production preset is the seed reference architecture: at least 4 vCPU / 8 GiB per pod, the Spark
worker at least 8 / 16, volumes at least 5 GiB. The config check (specs.sizing) derives its minimums
from these presets, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

Sizing = Literal["dev", "production"]

_QUANTITY = re.compile(r"^(?P<num>[0-9]+(\.[0-9]+)?)(?P<unit>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_UNIT_FACTORS = {
    None: 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60,
}


def quantity_value(quantity: str) -> float:
    """A Kubernetes quantity as a number (cores or bytes), for comparing sizes against minimums."""
    match = _QUANTITY.match(quantity)
    if not match:
        raise ValueError(f"{quantity!r} is not a Kubernetes quantity (e.g. 500m, 2, 8Gi)")
    return float(match["num"]) * _UNIT_FACTORS[match["unit"]]


def _both(cpu: str, memory: str) -> dict[str, dict[str, str]]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


DEV = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
DEV_SPARK_WORKER = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "4", "memory": "4Gi"}}
"""Up to 4 CPUs per dev worker: one worker then offers the 4 cores FATE Flow 2.x gives every job."""
PRODUCTION = _both("4", "8Gi")
PRODUCTION_SPARK_WORKER = _both("8", "16Gi")

DEV_VOLUME_SIZE = "1Gi"
PRODUCTION_VOLUME_SIZE = "5Gi"


def resources(module: str, sizing: Sizing, override: tuple[str, str] | None = None) -> dict[str, Any]:
    """Requests and limits for a module: the preset, or the user's (cpu, memory) for both."""
    if override is not None:
        return _both(*override)
    if sizing == "production":
        return PRODUCTION_SPARK_WORKER if module == "spark-worker" else PRODUCTION
    return DEV_SPARK_WORKER if module == "spark-worker" else DEV


FATEFLOW_JOB_CORES = {"2": 4, "1": 2}
"""Cores FATE Flow asks of the Spark pool for a job with default settings, by FATE major version: 2.x
`job_default_config.yaml` job_cores 4 and task_run.spark 2 executors x 2 cores (held to the installed FATE
Flow by tests/test_fateflow_cores.py); 1.x `flow test toy` asks task_cores 2. A pool below this never runs
a job: FATE Flow grants a job only when the pool holds all its cores."""


def spark_worker_cores(sizing: Sizing, override: tuple[str, str] | None = None) -> int:
    """The cores one Spark worker offers (SPARK_WORKER_CORES): its CPU limit, rounded up, at least 1."""
    return max(1, math.ceil(quantity_value(resources("spark-worker", sizing, override)["limits"]["cpu"])))


def volume_size(sizing: Sizing, override: str | None) -> str:
    return override or (PRODUCTION_VOLUME_SIZE if sizing == "production" else DEV_VOLUME_SIZE)


def production_minimum(module: str) -> tuple[str, str]:
    """The (cpu, memory) a module needs at least under the production sizing: its production preset."""
    requests = resources(module, "production")["requests"]
    return requests["cpu"], requests["memory"]
