"""spark-defaults.conf for FATE Flow's Spark driver (found through SPARK_CONF_DIR, not copied over)."""

from __future__ import annotations


def spark_defaults_conf(*, master: str, driver_host: str, pyspark_python: str | None = None) -> str:
    """The driver advertises a stable DNS name, so executors reach it without a pod-IP patch at start."""
    if not master.startswith(("spark://", "local", "k8s://", "yarn")):
        raise ValueError(f"spark master {master!r} is not a Spark master URL (e.g. spark://spark-master:7077)")
    if not driver_host or " " in driver_host:
        raise ValueError(f"spark driver host {driver_host!r} is not a host name")
    lines = [("spark.master", master), ("spark.driver.host", driver_host), ("spark.driver.bindAddress", "0.0.0.0")]
    if pyspark_python:
        lines += [("spark.pyspark.python", pyspark_python), ("spark.pyspark.driver.python", "python")]
    return "".join(f"{key:<34}{value}\n" for key, value in lines)
