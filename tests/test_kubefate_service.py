"""KubefateService under the engine mocks (doubles: Pulumi engine, Kubernetes API server)."""

from __future__ import annotations

from typing import Any

from components.kubefate_service import KubefateService
from fedctl.engine import StackRun
from stacks.config import KubefateConfig
from tests.support.manifest_checks import validate_manifest
from tests.support.pulumi_harness import run_function


def kubefate(**config: Any) -> StackRun:
    settings = KubefateConfig.model_validate({"enabled": True, **config})

    def program() -> dict[str, Any]:
        service = KubefateService("kubefate", settings)
        return {"url": service.url, "username": service.username, "password": service.password}

    run = run_function(program)
    for obj in run.k8s_objects():
        validate_manifest(obj)
    return run


def test_cluster_scope_rbac_and_workloads() -> None:
    run = kubefate()
    role = run.k8s_object("ClusterRole", "kubefate-role")
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert {"namespaces", "deployments", "statefulsets", "ingresses", "secrets"} <= resources
    assert "podsecuritypolicies" not in resources
    binding = run.k8s_object("ClusterRoleBinding", "kubefate")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubefate-admin", "namespace": "kube-fate"}]
    deployment = run.k8s_object("Deployment", "kubefate")["spec"]["template"]["spec"]
    assert deployment["containers"][0]["image"] == "federatedai/kubefate:v1.4.5"
    assert deployment["serviceAccountName"] == "kubefate-admin"
    assert run.outputs["url"] == "http://kubefate.kube-fate.svc.cluster.local:8080"


def test_namespace_scope_for_teams_without_cluster_admin() -> None:
    run = kubefate(rbacScope="namespaces", namespaces=["fate-9999", "fate-10000"])
    assert run.k8s_objects("ClusterRole") == [] and run.k8s_objects("ClusterRoleBinding") == []
    roles = {r["metadata"]["namespace"] for r in run.k8s_objects("Role")}
    assert roles == {"fate-9999", "fate-10000"}
    assert all("namespaces" not in str(r["rules"]) for r in run.k8s_objects("Role"))


def test_credentials_generated_secret_and_never_plain() -> None:
    run = kubefate()
    secret = run.k8s_object("Secret", "kubefate-credentials")["stringData"]
    assert secret["kubefateUsername"] == "admin" and len(secret["kubefatePassword"]) == 24
    assert secret["kubefatePassword"] != "admin"
    assert "password" in run.secret_outputs and run.redacted_outputs()["password"] == "[secret]"
    for cm in run.k8s_objects("ConfigMap"):
        assert secret["kubefatePassword"] not in str(cm)
    env = run.k8s_object("Deployment", "kubefate")["spec"]["template"]["spec"]["containers"][0]["env"]
    password_env = next(e for e in env if e["name"] == "FATECLOUD_USER_PASSWORD")
    assert "value" not in password_env and password_env["valueFrom"]["secretKeyRef"]["name"] == "kubefate-credentials"


def test_mariadb_on_a_retained_volume() -> None:
    run = kubefate()
    mariadb = run.k8s_object("StatefulSet", "mariadb")["spec"]
    assert mariadb["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    assert mariadb["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    retained = {r.name for r in run.resources if r.retain_on_delete}
    assert {"kubefate-namespace", "kubefate-credentials"} <= retained  # a re-created stack finds its data


def test_ingress_host() -> None:
    run = kubefate(ingressHost="kubefate.example.org")
    assert run.k8s_object("Ingress", "kubefate")["spec"]["rules"][0]["host"] == "kubefate.example.org"
    assert run.outputs["url"] == "http://kubefate.example.org"
