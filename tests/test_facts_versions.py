"""Image matrix of KubeFATE's fate chart v2.0.0 and v1.11.2, and one registry rule for both."""

from __future__ import annotations

import pytest

from facts.versions import (
    DEFAULT_FATE_VERSION,
    MODULES,
    SUPPORTED_FATE_VERSIONS,
    UnknownFateVersion,
    image,
    is_fate_2,
)

CHART_IMAGES = {
    "2.0.0": {
        "fateflow": "federatedai/fateflow-spark:2.0.0-release",
        "client": "federatedai/client:2.0.0-release",
        "fateboard": "federatedai/fateboard:2.0.0-release",
        "mysql": "mysql:8.0.28",
        "nginx": "federatedai/nginx:2.0.0-release",
        "pulsar": "federatedai/pulsar:2.10.2",
        "spark-master": "federatedai/spark-master:2.0.0-release",
        "spark-worker": "federatedai/spark-worker:2.0.0-release",
        "hadoop-namenode": "federatedai/hadoop-namenode:2.0.0-hadoop3.2.1-java8",
        "hadoop-datanode": "federatedai/hadoop-datanode:2.0.0-hadoop3.2.1-java8",
        "kubefate": "federatedai/kubefate:v1.4.5",
        "mariadb": "mariadb:10.11.10",
        "busybox": "busybox:1.36.1",
    },
    "1.11.2": {
        "fateflow": "federatedai/fateflow-spark:1.11.2-release",
        "client": "federatedai/client:1.11.2-release",
        "fateboard": "federatedai/fateboard:1.11.2-release",
        "mysql": "mysql:8.0.28",
        "nginx": "federatedai/nginx:1.11.2-release",
        "pulsar": "federatedai/pulsar:2.10.1",
        "spark-master": "federatedai/spark-master:1.11.2-release",
        "spark-worker": "federatedai/spark-worker:1.11.2-release",
        "hadoop-namenode": "federatedai/hadoop-namenode:2.0.0-hadoop3.2.1-java8",
        "hadoop-datanode": "federatedai/hadoop-datanode:2.0.0-hadoop3.2.1-java8",
        "kubefate": "federatedai/kubefate:v1.4.5",
        "mariadb": "mariadb:10.11.10",
        "busybox": "busybox:1.36.1",
    },
}


def test_supported_versions() -> None:
    assert SUPPORTED_FATE_VERSIONS == ("2.0.0", "1.11.2") and DEFAULT_FATE_VERSION == "2.0.0"
    assert is_fate_2("2.0.0") and not is_fate_2("1.11.2")


@pytest.mark.parametrize("version", SUPPORTED_FATE_VERSIONS)
def test_every_module_follows_the_chart(version: str) -> None:
    assert {module: image(module, version) for module in MODULES} == CHART_IMAGES[version]


@pytest.mark.parametrize("module, algorithm, device, expected", [
    ("fateflow", "NN", "CPU", "federatedai/fateflow-spark-nn:2.0.0-release"),
    ("fateflow", "ALL", "GPU", "federatedai/fateflow-spark-all-gpu:2.0.0-release"),
    ("fateflow", "Basic", "IPCL", "federatedai/fateflow-spark-ipcl:2.0.0-release"),
    ("spark-worker", "NN", "GPU", "federatedai/spark-worker-nn-gpu:2.0.0-release"),
    ("fateboard", "NN", "GPU", "federatedai/fateboard:2.0.0-release"),
])
def test_algorithm_and_device_suffixes(module: str, algorithm: str, device: str, expected: str) -> None:
    assert image(module, "2.0.0", algorithm=algorithm, device=device) == expected


@pytest.mark.parametrize("version", SUPPORTED_FATE_VERSIONS)
@pytest.mark.parametrize("registry", ["harbor.example.com/federatedai", "harbor.example.com/federatedai/"])
def test_registry_replaces_the_organisation_the_same_way_for_both_versions(version: str, registry: str) -> None:
    tag = f"{version}-release"
    assert image("fateflow", version, registry=registry) == f"harbor.example.com/federatedai/fateflow-spark:{tag}"
    assert image("mysql", version, registry=registry) == "harbor.example.com/federatedai/mysql:8.0.28"
    assert image("mariadb", version, registry=registry) == "harbor.example.com/federatedai/mariadb:10.11.10"


def test_registry_with_a_port() -> None:
    assert image("nginx", "1.11.2", registry="localhost:5000") == "localhost:5000/nginx:1.11.2-release"


@pytest.mark.parametrize("call, error, message", [
    (lambda: image("fateflow", "3.0.0"), UnknownFateVersion, "'3.0.0' is not supported: use one of 2.0.0, 1.11.2"),
    (lambda: image("eggroll", "2.0.0"), ValueError, "unknown module 'eggroll'"),
    (lambda: image("fateflow", "2.0.0", device="TPU"), ValueError, "unknown device 'TPU'"),
    (lambda: image("fateflow", "2.0.0", algorithm="LLM"), ValueError, "unknown algorithm 'LLM'"),
    (lambda: image("fateflow", "2.0.0", registry="https://harbor.example.com"), ValueError, "without scheme"),
    (lambda: image("fateflow", "2.0.0", registry="harbor.example.com/fate:1"), ValueError, "without scheme or tag"),
])
def test_bad_input(call: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]
