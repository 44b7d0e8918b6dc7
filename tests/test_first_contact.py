"""Issue 8 ("first contact") on the manifests users see: what would stop or expose a real deployment.

Each test failed on the components before the fix. Rendered with the test harness from the shipped stack
files (party-a: persistence on, ingress on, LoadBalancer; local: one cluster).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import yaml

from tests.support.pulumi_harness import run_program, shipped_config


@cache
def party_a() -> Any:
    return run_program("party-a")


def test_spark_workers_never_mount_the_secret_with_the_mysql_password() -> None:
    """KubeFATE mounts a dummy service_conf.yaml on the workers; FATE Flow's holds the MySQL password."""
    worker = party_a().k8s_object("Deployment", "spark-worker")["spec"]["template"]["spec"]
    assert all("secret" not in volume for volume in worker["volumes"])
    config_map = next(v["configMap"]["name"] for v in worker["volumes"] if "configMap" in v)
    conf = yaml.safe_load(party_a().k8s_object("ConfigMap", config_map)["data"]["service_conf.yaml"])
    assert "database" not in conf and conf["computing"]["spark"]["cores"] >= 4
    cores = {e["name"]: e["value"] for e in worker["containers"][0]["env"]}["SPARK_WORKER_CORES"]
    assert int(cores) * party_a().k8s_object("Deployment", "spark-worker")["spec"]["replicas"] == \
        conf["computing"]["spark"]["cores"]  # the pool FATE Flow schedules from is what the workers offer


def _fateflow_checksum(state: Any = None) -> str:
    from components.fate_cluster import FateCluster, FateClusterArgs
    from facts.labels import CONFIG_CHECKSUM_ANNOTATION
    from specs.party import PartyConfig
    from tests.support.pulumi_harness import run_component

    party = PartyConfig.model_validate({"partyId": 9999, "mysql": {"external": {"host": "192.0.2.30"}}})

    def program() -> dict[str, Any]:
        FateCluster("party", FateClusterArgs(party=party, external_mysql_password="weak"))
        return {}

    run = run_component(program, state=state)
    annotations = run.k8s_object("StatefulSet", "fateflow")["spec"]["template"]["metadata"]["annotations"]
    return str(annotations[CONFIG_CHECKSUM_ANNOTATION])


def test_config_checksum_cannot_test_a_password_guess() -> None:
    """The same files (a given external MySQL password) in two fresh stacks: a plain hash would be equal,
    so anyone reading a pod spec could hash guesses of the password and compare. Keyed per stack, it differs."""
    assert _fateflow_checksum() != _fateflow_checksum()


def _open_from_outside(run: Any, namespace: str) -> set[tuple[str, int]]:
    """(module, port) pairs a pod outside `namespace` may reach, by Kubernetes' rules: a pod selected by
    any policy accepts what any selecting policy's ingress rules allow (a rule without `from` admits every
    source; one with only podSelector admits the same namespace only); ports absent = all ports."""
    policies = [p["spec"] for p in run.k8s_objects("NetworkPolicy", namespace=namespace)]
    workloads = run.k8s_objects("Deployment", namespace=namespace) + run.k8s_objects("StatefulSet", namespace=namespace)
    reachable = set()
    for workload in workloads:
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        container_ports = {p["containerPort"] for c in workload["spec"]["template"]["spec"]["containers"]
                           for p in c.get("ports") or []}
        selecting = [p for p in policies
                     if (p["podSelector"].get("matchLabels") or {}).items() <= pod_labels.items()]
        assert selecting, f"{workload['metadata']['name']} is selected by no policy: open to everything"
        for port in container_ports:
            for policy in selecting:
                for rule in policy.get("ingress") or []:
                    sources = rule.get("from") or []
                    outside = not sources or any("namespaceSelector" in s or "ipBlock" in s for s in sources)
                    ports = {p["port"] for p in rule.get("ports") or []}
                    if outside and (not ports or port in ports):
                        reachable.add((pod_labels["app.kubernetes.io/name"], port))
    return reachable


def test_each_port_is_open_only_on_the_pods_that_serve_it() -> None:
    """party-a (ingress on): other namespaces reach nginx, the broker's TLS port and the published web UI;
    not Pulsar's admin API (8080, no authentication), the Spark master UI, MySQL or HDFS."""
    assert _open_from_outside(party_a(), "fate-9999") == {
        ("nginx", 9300), ("nginx", 9310), ("pulsar", 6651), ("fateboard", 8080)}  # the notebook is off


def test_the_exchange_opens_only_its_tunnel_and_nginx() -> None:
    run = run_program("local")
    assert _open_from_outside(run, "fate-exchange") == {("traffic-server", 443), ("nginx", 9300), ("nginx", 9310)}


def test_the_notebook_is_off_unless_asked_for() -> None:
    """The client image runs Jupyter as root with no token and no password: not deployed, not published."""
    run = party_a()
    assert "client" not in {w["metadata"]["name"] for w in run.k8s_objects("StatefulSet")}
    assert "notebook" not in {i["metadata"]["name"] for i in run.k8s_objects("Ingress")}
    assert run.outputs["endpoints"].get("notebook") is None


def test_an_enabled_notebook_has_a_generated_password() -> None:
    config = copy.deepcopy(shipped_config("party-a"))
    config["fate-federation:party"]["notebook"] = {"enabled": True}
    run = run_program("party-a", config)
    client = run.k8s_object("StatefulSet", "client")["spec"]["template"]["spec"]["containers"][0]
    command = " ".join(client["command"])
    assert "--NotebookApp.password=''" not in command and "$NOTEBOOK_HASHED_PASSWORD" in command
    env = {e["name"]: e for e in client["env"]}
    assert env["NOTEBOOK_HASHED_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "notebook-password"
    hashed = run.k8s_object("Secret", "notebook-password")["stringData"]["hashed"]
    password = run.outputs["notebookPassword"]
    algorithm, salt, digest = hashed.split(":")
    import hashlib
    assert algorithm == "sha1" and hashlib.sha1(password.encode() + salt.encode()).hexdigest() == digest


def test_ingress_urls_say_http_without_a_tls_secret() -> None:
    """party-a enables the ingress without tlsSecret: the Ingress has no TLS, so the URL is http://."""
    run = party_a()
    assert all(not i["spec"].get("tls") for i in run.k8s_objects("Ingress"))
    assert run.outputs["endpoints"]["fateboard"] == "http://9999.fateboard.fate.example.org"


def test_the_cluster_domain_is_a_setting() -> None:
    """FATE Flow binds its servers to its pod's DNS name: with a hard-coded svc.cluster.local it crashes on
    a cluster with another domain. No rendered object or output names cluster.local when the domain is set."""
    config = copy.deepcopy(shipped_config("local"))
    config["fate-federation:local"]["clusterDomain"] = "corp.internal"
    run = run_program("local", config)
    rendered = json.dumps([run.k8s_objects(), run.outputs], default=str)
    assert "cluster.local" not in rendered
    conf = yaml.safe_load(run.k8s_object("Secret", "fateflow-service-conf", "fate-9999")["stringData"]
                          ["service_conf.yaml"])
    assert conf["fateflow"]["host"] == "fateflow-0.fateflow.fate-9999.svc.corp.internal"
    default = yaml.safe_load(run_program("local").k8s_object("Secret", "fateflow-service-conf", "fate-9999")
                             ["stringData"]["service_conf.yaml"])
    assert default["fateflow"]["host"] == "fateflow-0.fateflow.fate-9999.svc.cluster.local"
