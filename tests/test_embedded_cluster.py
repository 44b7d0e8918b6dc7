"""The embedded cluster: a REAL etcd, kube-apiserver, controller manager and scheduler on 127.0.0.1, with
SIMULATED nodes and pods (kwok; no container runs here). Everything is asserted through `kubectl`."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fedctl import cluster
from tests.support.cluster import Cluster, processes_in, require_cluster_bin, running_cluster, wait_for

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("embedded-cluster")) as started:
        yield started


def _namespace(kube: Cluster, name: str, level: str) -> None:
    kube.kubectl("create", "namespace", name)
    kube.kubectl("label", "namespace", name, f"pod-security.kubernetes.io/enforce={level}")
    # Pods are admitted only once the controller manager made the namespace's default ServiceAccount.
    wait_for(f"{name}/default ServiceAccount", lambda: kube.kubectl(
        "get", "serviceaccount", "default", "-n", name, check=False).returncode == 0)


def test_nodes_are_ready_with_documentation_addresses(kube: Cluster) -> None:
    nodes = kube.get("nodes")["items"]
    assert len(nodes) == len(cluster.NODE_ADDRESSES)
    for node in nodes:
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
        assert ready == "True", node["metadata"]["name"]
        internal = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal[0] in cluster.NODE_ADDRESSES
    assert "Ready" in kube.kubectl("get", "nodes").stdout


def test_server_reports_the_built_version(kube: Cluster) -> None:
    built = (kube.bin_dir.parent / "version").read_text().strip()
    version = json.loads(kube.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == built
    assert version["clientVersion"]["gitVersion"] == built


def test_kubeconfig_has_the_contexts_the_stack_files_name(kube: Cluster) -> None:
    config = yaml.safe_load(kube.kubeconfig.read_text())
    names = {c["name"] for c in config["contexts"]}
    for stack in ("party-a", "party-b", "exchange"):
        context = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())[
            "config"]["fate-federation:kubernetes"]["context"]
        assert context in names
        assert kube.kubectl("--context", context, "get", "namespace", "default", "-o", "name").stdout.strip() == \
            "namespace/default"
    assert config["current-context"] == cluster.DEFAULT_CONTEXT


PRIVILEGED_POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged"},
    "spec": {"containers": [{"name": "c", "image": "registry.invalid/busybox:1",
                             "securityContext": {"privileged": True}}]},
}


def test_pod_security_baseline_rejects_a_privileged_pod(kube: Cluster) -> None:
    _namespace(kube, "psa-baseline", "baseline")
    rejected = kube.kubectl("apply", "-n", "psa-baseline", "-f", "-", input_text=json.dumps(PRIVILEGED_POD),
                            check=False)
    assert rejected.returncode != 0
    assert 'violates PodSecurity "baseline:latest"' in rejected.stderr
    assert "privileged" in rejected.stderr
    # The same pod is admitted where the namespace allows it: the label, not something else, decided.
    _namespace(kube, "psa-privileged", "privileged")
    kube.kubectl("apply", "-n", "psa-privileged", "-f", "-", input_text=json.dumps(PRIVILEGED_POD))
    assert kube.get("pod", "privileged", "-n", "psa-privileged")["metadata"]["name"] == "privileged"


def test_a_deployment_pod_becomes_running_and_ready(kube: Cluster) -> None:
    kube.kubectl("create", "deployment", "web", "--image=registry.invalid/nginx:1", "--replicas=2")
    kube.kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
    pods = kube.get("pods", "-l", "app=web")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Running"
        assert {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"] == "True"
        assert pod["spec"]["nodeName"].startswith("kwok-node-")  # placed by the real scheduler
        assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(cluster.POD_CIDR)


def test_a_load_balancer_service_gets_a_test_net_address(kube: Cluster) -> None:
    kube.kubectl("create", "service", "loadbalancer", "lb-a", "--tcp=443:8443")
    kube.kubectl("create", "service", "loadbalancer", "lb-b", "--tcp=443:8443")

    def ingress(name: str) -> str | None:
        found = kube.get("service", name)["status"].get("loadBalancer", {}).get("ingress")
        return found[0]["ip"] if found else None

    addresses = {name: wait_for(f"{name} gets an ingress IP", lambda n=name: ingress(n)) for name in ("lb-a", "lb-b")}
    for name, address in addresses.items():
        assert ipaddress.ip_address(address) in ipaddress.ip_network("192.0.2.0/24")
        cluster_ip = kube.get("service", name)["spec"]["clusterIP"]
        assert address.split(".")[-1] == cluster_ip.split(".")[-1]
    assert len(set(addresses.values())) == 2
    assert addresses["lb-a"] in kube.kubectl("get", "service", "lb-a").stdout  # EXTERNAL-IP column


def test_a_claim_binds_through_the_default_storage_class(kube: Cluster) -> None:
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}
    kube.kubectl("apply", "-f", "-", input_text=json.dumps(claim))
    bound = wait_for("the claim binds", lambda: kube.get("pvc", "data")["status"].get("phase") == "Bound" and
                     kube.get("pvc", "data"))
    assert bound["spec"]["storageClassName"] == cluster.STORAGE_CLASS  # defaulted by admission
    volume = kube.get("pv", bound["spec"]["volumeName"])
    assert volume["spec"]["claimRef"]["name"] == "data"
    assert volume["spec"]["capacity"]["storage"] == "10Gi"


def test_a_job_completes(kube: Cluster) -> None:
    kube.kubectl("create", "job", "once", "--image=registry.invalid/busybox:1")
    kube.kubectl("wait", "--for=condition=Complete", "job/once", "--timeout=60s", timeout=90)
    assert kube.get("job", "once")["status"]["succeeded"] == 1


def test_cli_start_stop_leaves_nothing_running_and_keeps_the_data(tmp_path: Path) -> None:
    bin_dir = require_cluster_bin()
    directory = tmp_path / "cli-cluster"

    def fedctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fedctl", "cluster", *args, "--dir", str(directory)]
                              + (["--bin-dir", str(bin_dir)] if args[0] == "start" else []),
                              cwd=PROJECT_DIR, capture_output=True, text=True, timeout=180)

    try:
        started = fedctl("start")
        assert started.returncode == 0, started.stderr
        assert f"export KUBECONFIG={directory / 'kubeconfig'}" in started.stdout
        assert "SIMULATED" in started.stdout
        assert len(processes_in(directory)) == len(cluster.COMPONENTS)
        kube = Cluster(directory, bin_dir, directory / "kubeconfig", 0.0)
        kube.kubectl("create", "namespace", "kept")
        stopped = fedctl("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert processes_in(directory) == []
        assert kube.kubectl("get", "namespace", "kept", check=False, timeout=20).returncode != 0  # server gone

        assert fedctl("start").returncode == 0
        assert kube.get("namespace", "kept")["metadata"]["name"] == "kept"
    finally:
        fedctl("stop")
    assert processes_in(directory) == []
