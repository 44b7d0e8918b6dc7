"""FATE versions this project deploys and the image of every module for each: the one place for images.

Registry rule (the same for every version, unlike KubeFATE's charts, whose 1.x and 2.0 `registry` keys
differ by a slash): with no registry, images come from Docker Hub as published (`federatedai/...`,
`mysql`, `mariadb`, `busybox`); with a registry `R` (a mirror of Docker Hub, e.g.
`harbor.example.com/federatedai`), every image is `R/<image name>:<tag>`, its Docker Hub organisation
dropped, so one mirror project holds all of them.
"""

from __future__ import annotations

from collections.abc import Mapping


class UnknownFateVersion(ValueError):
    """A FATE version with no image matrix here."""


DEFAULT_FATE_VERSION = "2.0.0"

ALGORITHMS = {"Basic": "", "NN": "-nn", "ALL": "-all"}
DEVICES = {"CPU": "", "IPCL": "-ipcl", "GPU": "-gpu"}

# module -> (Docker Hub repository, tag); "{variant}" takes the algorithm/device suffixes.
_MATRIX: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "2.0.0": {
        "fateflow": ("federatedai/fateflow-spark{variant}", "2.0.0-release"),
        "client": ("federatedai/client", "2.0.0-release"),
        "fateboard": ("federatedai/fateboard", "2.0.0-release"),
        "mysql": ("mysql", "8.0.28"),
        "nginx": ("federatedai/nginx", "2.0.0-release"),
        "pulsar": ("federatedai/pulsar", "2.10.2"),
        "spark-master": ("federatedai/spark-master", "2.0.0-release"),
        "spark-worker": ("federatedai/spark-worker{variant}", "2.0.0-release"),
        "hadoop-namenode": ("federatedai/hadoop-namenode", "2.0.0-hadoop3.2.1-java8"),
        "hadoop-datanode": ("federatedai/hadoop-datanode", "2.0.0-hadoop3.2.1-java8"),
    },
    "1.11.2": {
        "fateflow": ("federatedai/fateflow-spark{variant}", "1.11.2-release"),
        "client": ("federatedai/client", "1.11.2-release"),
        "fateboard": ("federatedai/fateboard", "1.11.2-release"),
        "mysql": ("mysql", "8.0.28"),
        "nginx": ("federatedai/nginx", "1.11.2-release"),
        "pulsar": ("federatedai/pulsar", "2.10.1"),
        "spark-master": ("federatedai/spark-master", "1.11.2-release"),
        "spark-worker": ("federatedai/spark-worker{variant}", "1.11.2-release"),
        "hadoop-namenode": ("federatedai/hadoop-namenode", "2.0.0-hadoop3.2.1-java8"),
        "hadoop-datanode": ("federatedai/hadoop-datanode", "2.0.0-hadoop3.2.1-java8"),
    },
}
# Images that do not follow FATE's release: the same for every FATE version.
_SHARED: Mapping[str, tuple[str, str]] = {
    "kubefate": ("federatedai/kubefate", "v1.4.5"),
    "mariadb": ("mariadb", "10.11.10"),
    "busybox": ("busybox", "1.36.1"),
}
SUPPORTED_FATE_VERSIONS: tuple[str, ...] = tuple(_MATRIX)
MODULES: tuple[str, ...] = (*_MATRIX[DEFAULT_FATE_VERSION], *_SHARED)


def check_version(fate_version: str) -> str:
    if fate_version not in _MATRIX:
        raise UnknownFateVersion(
            f"FATE version {fate_version!r} is not supported: use one of {', '.join(SUPPORTED_FATE_VERSIONS)}"
        )
    return fate_version


def image(module: str, fate_version: str, *, registry: str = "", algorithm: str = "Basic",
          device: str = "CPU") -> str:
    """The image reference of `module` for `fate_version` (see the registry rule above)."""
    matrix = _MATRIX[check_version(fate_version)]
    if module in matrix:
        repository, tag = matrix[module]
    elif module in _SHARED:
        repository, tag = _SHARED[module]
    else:
        raise ValueError(f"unknown module {module!r}: one of {', '.join(MODULES)}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}: one of {', '.join(ALGORITHMS)}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: one of {', '.join(DEVICES)}")
    repository = repository.format(variant=ALGORITHMS[algorithm] + DEVICES[device])
    if registry:
        return f"{registry.rstrip('/')}/{repository.rsplit('/', 1)[-1]}:{tag}"
    return f"{repository}:{tag}"
