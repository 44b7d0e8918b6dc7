"""The rendered workloads (persistence ON, as party-a ships) obey what each image does at start (facts/images.py).

The `local` stack's emptyDir volumes are world-writable and empty, which hides the three ways a fresh
persistent volume breaks an image: a non-root image cannot write a root-owned volume (Pulsar: fsGroup),
and an image that initialises only an empty directory cannot start on one with lost+found at its root
(MySQL, the HDFS namenode: subPath or an init step). Config files must be mounted where the image reads
them. Checked on the manifests users see (the offline render of the shipped party-a stack).
"""

from __future__ import annotations

import posixpath
from functools import cache
from typing import Any

import pytest

from facts.images import IMAGE_FACTS, ImageFacts
from fedctl.records import StackRun
from tests.support.pulumi_harness import run_program

WORKLOAD_MODULE = {"namenode": "hadoop-namenode", "datanode": "hadoop-datanode"}
"""Workload name -> facts.images module, where they differ."""

@cache
def party_a() -> StackRun:
    return run_program("party-a")


def workloads() -> dict[str, dict[str, Any]]:
    run = party_a()
    return {w["metadata"]["name"]: w for w in run.k8s_objects("StatefulSet") + run.k8s_objects("Deployment")}


def facts_of(name: str) -> ImageFacts:
    return IMAGE_FACTS[WORKLOAD_MODULE.get(name, name)]


def data_mount(workload: dict[str, Any], facts: ImageFacts) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(container mount, volume or claim template) of the image's data directory, if it is a persistent one."""
    assert facts.data is not None
    pod = workload["spec"]["template"]["spec"]
    claims = {t["metadata"]["name"]: t for t in workload["spec"].get("volumeClaimTemplates") or []}
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for mount in pod["containers"][0].get("volumeMounts") or []:
        path = mount["mountPath"].rstrip("/")
        if path == facts.data.path or path.startswith(facts.data.path + "/"):
            volume = claims.get(mount["name"]) or volumes.get(mount["name"]) or {}
            if mount["name"] in claims or "persistentVolumeClaim" in volume:
                return mount, volume
    return None


STATEFUL = ["mysql", "fateflow", "pulsar", "namenode", "datanode"]  # the notebook (client) is off in party-a


@pytest.mark.parametrize("name", STATEFUL)
def test_a_non_root_image_can_write_its_fresh_volume(name: str) -> None:
    workload, facts = workloads()[name], facts_of(name)
    found = data_mount(workload, facts)
    assert found is not None, f"{name}: no persistent volume at {facts.data and facts.data.path} with persistence on"
    if not facts.needs_volume_ownership:
        return
    pod = workload["spec"]["template"]["spec"]
    security = pod.get("securityContext") or {}
    container = pod["containers"][0].get("securityContext") or {}
    assert security.get("fsGroup") is not None, f"{name} runs as uid {facts.runs_as_user}: set fsGroup"
    assert container.get("runAsUser", security.get("runAsUser")) == facts.runs_as_user


@pytest.mark.parametrize("name", STATEFUL)
def test_an_image_that_needs_an_empty_directory_never_sees_the_volume_root(name: str) -> None:
    workload, facts = workloads()[name], facts_of(name)
    mount, _ = data_mount(workload, facts) or (None, None)
    assert mount is not None
    if not (facts.data and facts.data.first_start_needs_empty):
        return
    if mount.get("subPath"):
        return
    init = workload["spec"]["template"]["spec"].get("initContainers") or []
    cleaners = [c for c in init if any(m["name"] == mount["name"] for m in c.get("volumeMounts") or [])
                and "lost+found" in " ".join(c.get("command") or []) + " ".join(c.get("args") or [])]
    assert cleaners, f"{name}: {facts.data.why}; mount a subPath or remove lost+found in an init step"


@pytest.mark.parametrize("name", ["mysql", "fateflow", "pulsar", "nginx", "fateboard", "spark-worker"])
def test_config_files_are_mounted_where_the_image_reads_them(name: str) -> None:
    workload, facts = workloads()[name], facts_of(name)
    files = [c.path for c in facts.config if c.path.startswith("/") and not any(ch in c.path for ch in "*, $")]
    expected = {posixpath.basename(p): posixpath.dirname(p) for p in files if posixpath.basename(p)}
    container = workload["spec"]["template"]["spec"]["containers"][0]
    mounted = 0
    for mount in container.get("volumeMounts") or []:
        file = mount.get("subPath") or ""
        if file in expected:
            assert posixpath.dirname(mount["mountPath"]) == expected[file], f"{name}: {file} mounted elsewhere"
            mounted += 1
    if name != "mysql":
        assert mounted or any(m["mountPath"].rstrip("/") in expected.values()
                              for m in container.get("volumeMounts") or []), f"{name}: no config at its paths"


def test_mysql_first_start_is_not_killed_mid_initialisation() -> None:
    """MySQL initialises with networking off (port 3306 closed); a TCP liveness probe would kill it. A
    startup probe asking the server itself (`mysqladmin ping`) holds liveness off for minutes."""
    container = workloads()["mysql"]["spec"]["template"]["spec"]["containers"][0]
    startup, liveness = container.get("startupProbe") or {}, container.get("livenessProbe") or {}
    assert startup.get("exec", {}).get("command", [])[:2] == ["mysqladmin", "ping"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
    assert "tcpSocket" not in liveness and liveness["exec"]["command"][:2] == ["mysqladmin", "ping"]
    assert container["readinessProbe"]["tcpSocket"]["port"] == 3306  # ready only once clients can connect
