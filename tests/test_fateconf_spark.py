"""spark-defaults.conf in the chart's column layout, with a stable driver host instead of a sed-ed pod IP."""

from __future__ import annotations

import pytest

from components.fateconf.spark import spark_defaults_conf


def test_driver_advertises_a_dns_name() -> None:
    assert spark_defaults_conf(master="spark://spark-master:7077", driver_host="fateflow-0.fateflow") == (
        "spark.master                      spark://spark-master:7077\n"
        "spark.driver.host                 fateflow-0.fateflow\n"
        "spark.driver.bindAddress          0.0.0.0\n"
    )


def test_fixed_ports_and_python() -> None:
    text = spark_defaults_conf(master="local[*]", driver_host="fateflow", driver_port=40000,
                               block_manager_port=40100, port_max_retries=16, pyspark_python="/opt/python/bin/python")
    assert text.splitlines()[3:] == [
        "spark.driver.port                 40000",
        "spark.blockManager.port           40100",
        "spark.port.maxRetries             16",
        "spark.pyspark.python              /opt/python/bin/python",
        "spark.pyspark.driver.python       python",
    ]


@pytest.mark.parametrize("kwargs, message", [
    ({"master": "spark-master:7077", "driver_host": "fateflow"}, "spark master .* spark://"),
    ({"master": "spark://m:7077", "driver_host": "fate flow"}, "spark driver host"),
    ({"master": "spark://m:7077", "driver_host": "f", "driver_port": 0}, "spark driver port"),
    ({"master": "spark://m:7077", "driver_host": "f", "pyspark_python": "python3"}, "absolute path"),
])
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spark_defaults_conf(**kwargs)  # type: ignore[arg-type]
