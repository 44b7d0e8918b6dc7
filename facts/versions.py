"""FATE versions this project deploys and the image of every module for each: the one place for images.

The matrix follows KubeFATE's `fate` chart: 2.0.0 (chart v2.0.0, `2.0.0-release`, Pulsar 2.10.2) and 1.11.2
(chart v1.11.2, `1.11.2-release`, Pulsar 2.10.1); FATE Flow is the `fateflow-spark` image because this
project runs the Spark + Pulsar + HDFS engine set; algorithm (`-nn`, `-all`) and device (`-ipcl`, `-gpu`)
suffixes apply to FATE Flow and the Spark workers, as in the chart's helpers.

Registry rule, the same for every version (the charts differ: 1.x joins `registry/name`, 2.0 pastes
`registry` + `federatedai/name` with no slash): with no registry, images come from Docker Hub as
published (`federatedai/...`, `mysql`, `mariadb`, `busybox`); with a registry `R` (a mirror such as
`harbor.example.com/federatedai`), every image is `R/<image name>:<tag>` with its Docker Hub organisation
dropped, so one mirror project holds all of them. A trailing slash on `R` is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping


class UnknownFateVersion(ValueError):
    """A FATE version with no image matrix here; the message lists the supported ones."""


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
TRAFFIC_SERVER_IMAGE = "federatedai/trafficserver:latest"
"""The only tag published sources name for KubeFATE's exchange image: its chart pulls it untagged and FedLCM
v0.3.0 as `latest` (facts.images: no build files are public, so no other tag can be cited). It floats:
pin it by digest with `exchange.trafficServerImage` (e.g. federatedai/trafficserver@sha256:...). Where it
reads its config is asked of the image at start (components.fateconf.ats.entrypoint_script)."""
SUPPORTED_FATE_VERSIONS: tuple[str, ...] = tuple(_MATRIX)
MODULES: tuple[str, ...] = (*_MATRIX[DEFAULT_FATE_VERSION], *_SHARED)


def check_version(fate_version: str) -> str:
    """`fate_version` itself if this project can deploy it, else UnknownFateVersion naming the choices."""
    if fate_version not in _MATRIX:
        raise UnknownFateVersion(
            f"FATE version {fate_version!r} is not supported: use one of {', '.join(SUPPORTED_FATE_VERSIONS)}"
        )
    return fate_version


def is_fate_2(fate_version: str) -> bool:
    """True for the FATE 2.x layouts (service_conf, paths), False for 1.x."""
    return check_version(fate_version).startswith("2.")


def check_registry(registry: str) -> str:
    """`registry` without its trailing slash, if it is a registry path (no scheme, no tag, no spaces)."""
    mirror = registry.rstrip("/")
    has_tag = "/" in mirror and ":" in mirror.rsplit("/", 1)[-1]
    if not mirror or "://" in mirror or has_tag or any(c.isspace() for c in mirror):
        raise ValueError(f"registry {registry!r} is not an image registry path: write it without scheme or tag, "
                         "e.g. harbor.example.com/federatedai")
    return mirror


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
        return f"{check_registry(registry)}/{repository.rsplit('/', 1)[-1]}:{tag}"
    return f"{repository}:{tag}"
