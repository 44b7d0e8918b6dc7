"""spark-defaults.conf for FATE Flow's Spark driver (found through SPARK_CONF_DIR, see paths.py).

The driver advertises a stable DNS name (FATE Flow's pod behind its headless Service), so executors
reach it without the pod-IP `sed` KubeFATE runs at start. Fixed driver and block-manager ports are
optional; set them when a NetworkPolicy has to admit executor-to-driver traffic by port.
"""

from __future__ import annotations

from components.fateconf.settings import validate_host, validate_port, validate_positive, validate_spark_master


def spark_defaults_conf(*, master: str, driver_host: str, pyspark_python: str | None = None,
                        driver_port: int | None = None, block_manager_port: int | None = None,
                        port_max_retries: int | None = None) -> str:
    """Key and value separated by padding to column 35, as Spark's template and KubeFATE write it."""
    lines: list[tuple[str, object]] = [
        ("spark.master", validate_spark_master(master, "spark master")),
        ("spark.driver.host", validate_host(driver_host, "spark driver host")),
        ("spark.driver.bindAddress", "0.0.0.0"),
    ]
    if driver_port is not None:
        lines.append(("spark.driver.port", validate_port(driver_port, "spark driver port")))
    if block_manager_port is not None:
        lines.append(("spark.blockManager.port", validate_port(block_manager_port, "spark block manager port")))
    if port_max_retries is not None:
        lines.append(("spark.port.maxRetries", validate_positive(port_max_retries, "spark port max retries")))
    if pyspark_python:
        if not pyspark_python.startswith("/"):
            raise ValueError(f"pyspark python is {pyspark_python!r}: give the interpreter's absolute path")
        lines += [("spark.pyspark.python", pyspark_python), ("spark.pyspark.driver.python", "python")]
    return "".join(f"{key:<34}{value}\n" for key, value in lines)
