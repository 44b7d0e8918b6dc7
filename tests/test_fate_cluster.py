"""FateCluster under the engine mocks (test doubles: the Pulumi engine and the Kubernetes API server).

Every object is also validated strictly against the Kubernetes 1.31 schemas.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.fate_cluster import ExchangeView, FateCluster, FateClusterArgs, PulsarCertificate
from components.fateconf.settings import Endpoint, PulsarExchange
from facts.labels import CONFIG_CHECKSUM_ANNOTATION
from fedctl.records import EngineState, StackRun
from specs.party import PartyConfig
from tests.support.manifest_checks import validate_manifest
from tests.support.pulumi_harness import run_component

WIRING = ExchangeView(nginx=Endpoint("192.0.2.5", 9300, 9310),
                      pulsar=PulsarExchange("192.0.2.6", 443, "fate.example.org"))


def cluster(party: dict[str, Any], *, exchange: ExchangeView | None = WIRING,
            certificate: bool = False, mysql_password: str | None = None, state: EngineState | None = None) -> StackRun:
    config = PartyConfig.model_validate(party)

    def program() -> dict[str, Any]:
        cert = PulsarCertificate("CERT", "KEY", "CA") if certificate else None
        fate = FateCluster("party", FateClusterArgs(party=config, exchange=exchange, pulsar_certificate=cert,
                                                    external_mysql_password=mysql_password))
        return {"nginx": fate.nginx_host, "nginxHttp": fate.nginx_http_port, "pulsar": fate.pulsar_tls_host,
                "pulsarPort": fate.pulsar_tls_port}

    run = run_component(program, state=state)
    for obj in run.k8s_objects():
        validate_manifest(obj)
    return run


def names(run: StackRun, kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in run.k8s_objects(kind)}


def test_full_engine_set() -> None:
    run = cluster({"partyId": 9999, "notebook": {"enabled": True}})
    assert names(run, "StatefulSet") == {"mysql", "fateflow", "pulsar", "client", "namenode", "datanode"}
    assert names(run, "Deployment") == {"nginx", "fateboard", "spark-master", "spark-worker"}
    assert {"nginx", "pulsar-public-tls"} <= names(run, "Service")
    assert run.outputs["nginx"].startswith("192.0.2.") and run.outputs["nginxHttp"] == 9300


def test_labels_and_selectors_are_spelled_right() -> None:
    run = cluster({"partyId": 9999})
    for workload in run.k8s_objects("Deployment") + run.k8s_objects("StatefulSet"):
        selector = workload["spec"]["selector"]["matchLabels"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        assert labels["app.kubernetes.io/part-of"] == "fate-federation"
    namespace = run.k8s_objects("Namespace")[0]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "baseline"


def test_external_engines_drop_their_modules() -> None:
    run = cluster({"partyId": 9999, "notebook": {"enabled": True},
                   "spark": {"external": {"master": "spark://spark.example.org:7077"}},
                   "hdfs": {"external": {"nameNode": "hdfs://hdfs.example.org:9000"}},
                   "pulsar": {"external": {"host": "pulsar.example.org"}},
                   "mysql": {"external": {"host": "mysql.example.org"}}}, mysql_password="external-pw")
    assert names(run, "StatefulSet") == {"fateflow", "client"}
    assert names(run, "Deployment") == {"nginx", "fateboard"}
    conf = run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"]
    for address in ("mysql.example.org", "pulsar.example.org", "hdfs://hdfs.example.org:9000", "external-pw"):
        assert address in conf
    spark = run.k8s_object("ConfigMap", "spark-defaults")["data"]["spark-defaults.conf"]
    assert "spark://spark.example.org:7077" in spark
    assert run.outputs["pulsar"] == "pulsar.example.org" and run.outputs["pulsarPort"] == 6651


def test_node_port_exposure_uses_node_address_and_assigned_ports() -> None:
    run = cluster({"partyId": 9999, "exposure": {"type": "NodePort", "nodeAddress": "203.0.113.9"}})
    nginx = run.k8s_object("Service", "nginx")
    assert nginx["spec"]["type"] == "NodePort"
    assert run.outputs["nginx"] == "203.0.113.9"
    assert 30000 <= run.outputs["nginxHttp"] <= 32767 and 30000 <= run.outputs["pulsarPort"] <= 32767


def test_version_1_11_2_uses_its_images_and_layout() -> None:
    run = cluster({"partyId": 9999, "fateVersion": "1.11.2"})
    fateflow = run.k8s_object("StatefulSet", "fateflow")["spec"]["template"]["spec"]["containers"][0]
    assert fateflow["image"] == "federatedai/fateflow-spark:1.11.2-release"
    mounts = {m["mountPath"] for m in fateflow["volumeMounts"]}
    assert "/data/projects/fate/conf/service_conf.yaml" in mounts
    conf = run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"]
    assert "fate_on_spark:" in conf


def test_production_sizing_meets_the_reference_architecture() -> None:
    run = cluster({"partyId": 9999, "sizing": "production"})
    for workload in run.k8s_objects("Deployment") + run.k8s_objects("StatefulSet"):
        requests = workload["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        minimum = ("8", "16Gi") if workload["metadata"]["name"] == "spark-worker" else ("4", "8Gi")
        assert (requests["cpu"], requests["memory"]) == minimum
        for claim in workload["spec"].get("volumeClaimTemplates") or []:
            assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_persistence_options() -> None:
    run = cluster({"partyId": 9999, "persistence": {"storageClass": "fast", "existingClaims": {"mysql": "old-mysql"},
                                                    "retainOnDestroy": False}})
    mysql = run.k8s_object("StatefulSet", "mysql")["spec"]
    assert mysql["volumeClaimTemplates"] == []
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "old-mysql"}} in mysql["template"]["spec"]["volumes"]
    pulsar = run.k8s_object("StatefulSet", "pulsar")["spec"]
    assert pulsar["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "fast"
    assert pulsar["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"
    ephemeral = cluster({"partyId": 9999, "persistence": {"enabled": False}})
    assert all(not s["spec"]["volumeClaimTemplates"] for s in ephemeral.k8s_objects("StatefulSet"))


def test_replica_counts() -> None:
    run = cluster({"partyId": 9999, "spark": {"workers": 4}, "hdfs": {"datanodes": 5}})
    assert run.k8s_object("Deployment", "spark-worker")["spec"]["replicas"] == 4
    assert run.k8s_object("StatefulSet", "datanode")["spec"]["replicas"] == 5


def test_ingress_hosts() -> None:
    run = cluster({"partyId": 9999, "notebook": {"enabled": True},
                   "ingress": {"enabled": True, "domain": "fate.example.org", "tlsSecret": "wild"}})
    hosts = {i["metadata"]["name"]: i["spec"]["rules"][0]["host"] for i in run.k8s_objects("Ingress")}
    assert hosts == {"fateboard": "9999.fateboard.fate.example.org", "notebook": "9999.notebook.fate.example.org"}
    assert run.k8s_object("Ingress", "fateboard")["spec"]["tls"] == [
        {"hosts": ["9999.fateboard.fate.example.org"], "secretName": "wild"}]


def test_pulsar_tls_only_with_a_certificate() -> None:
    plain = cluster({"partyId": 9999})
    assert "tlsEnabled" not in plain.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"]
    assert "pulsar-cert" not in names(plain, "Secret")
    tls = cluster({"partyId": 9999}, certificate=True)
    assert "tlsEnabled=true" in tls.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"]
    assert tls.k8s_object("Secret", "pulsar-cert")["stringData"] == {
        "broker.cert.pem": "CERT", "broker.key-pk8.pem": "KEY", "ca.cert.pem": "CA"}


def annotation(run: StackRun, kind: str, name: str) -> str | None:
    return run.k8s_object(kind, name)["spec"]["template"]["metadata"]["annotations"].get(CONFIG_CHECKSUM_ANNOTATION)


NEW_EXCHANGE = ExchangeView(nginx=Endpoint("192.0.2.50", 9300, 9310),
                            pulsar=PulsarExchange("192.0.2.51", 443, "fate.example.org"))


def route_mount(run: StackRun) -> dict[str, Any]:
    containers = run.k8s_object("StatefulSet", "fateflow")["spec"]["template"]["spec"]["containers"]
    return next(m for m in containers[0]["volumeMounts"] if m["name"] == "pulsar-route-table")


def test_config_change_rolls_exactly_the_pods_that_read_it() -> None:
    """A new exchange address changes the nginx route table (rolls nginx) and the Pulsar route table,
    which FATE Flow 2.x reads from its own conf/ directory (a single-file mount: FATE Flow rolls);
    Pulsar's own config does not change, so the broker is left alone."""
    state = EngineState()  # one stack updated twice: generated passwords stay the same
    before = cluster({"partyId": 9999}, state=state)
    after = cluster({"partyId": 9999}, exchange=NEW_EXCHANGE, state=state)
    assert annotation(before, "Deployment", "nginx") != annotation(after, "Deployment", "nginx")
    assert annotation(before, "StatefulSet", "fateflow") != annotation(after, "StatefulSet", "fateflow")
    assert annotation(before, "StatefulSet", "pulsar") == annotation(after, "StatefulSet", "pulsar")
    assert route_mount(after)["mountPath"] == "/data/projects/fate/fate_flow/conf/pulsar_route_table.yaml"


def test_fate_1x_route_table_updates_in_place() -> None:
    """FATE 1.x reads the route table from a directory of its own, per job: kubelet updates it in the
    running pod, so a route change does not restart FATE Flow."""
    state = EngineState()
    before = cluster({"partyId": 9999, "fateVersion": "1.11.2"}, state=state)
    after = cluster({"partyId": 9999, "fateVersion": "1.11.2"}, exchange=NEW_EXCHANGE, state=state)
    assert before.k8s_object("ConfigMap", "pulsar-route-table") != after.k8s_object("ConfigMap", "pulsar-route-table")
    assert annotation(before, "StatefulSet", "fateflow") == annotation(after, "StatefulSet", "fateflow")
    assert "subPath" not in route_mount(after)


def test_secrets_are_mounted_from_secrets_only() -> None:
    run = cluster({"partyId": 9999})
    fateflow = run.k8s_object("StatefulSet", "fateflow")["spec"]["template"]["spec"]
    conf_volume = next(v for v in fateflow["volumes"] if v["name"] == "fateflow-service-conf")
    assert conf_volume == {"name": "fateflow-service-conf", "secret": {"secretName": "fateflow-service-conf"}}
    for cm in run.k8s_objects("ConfigMap"):
        assert "passwd" not in str(cm["data"]) and "password=" not in str(cm["data"])


def test_fateflow_advertises_a_stable_name_not_a_patched_ip() -> None:
    run = cluster({"partyId": 9999})
    conf = run.k8s_object("Secret", "fateflow-service-conf")["stringData"]["service_conf.yaml"]
    assert "host: fateflow-0.fateflow.fate-9999.svc.cluster.local" in conf
    for workload in run.k8s_objects("StatefulSet") + run.k8s_objects("Deployment"):
        assert "sed " not in str(workload["spec"]["template"]["spec"]["containers"][0].get("command"))


def test_external_mysql_needs_its_password() -> None:
    with pytest.raises(Exception, match="externalMysqlPassword"):
        cluster({"partyId": 9999, "mysql": {"external": {"host": "db"}}})
