"""KubefateService: the KubeFATE service (REST API + MariaDB) for teams that still drive KubeFATE.

Off by default: this project deploys FATE itself. It exists for teams whose tooling talks to KubeFATE's
API. Compared with KubeFATE's own manifests: the MariaDB data is on a retained volume (KubeFATE #220/#870
lost it on restart), credentials are generated and kept in a Secret (not admin/admin), and RBAC can be
limited to named namespaces for teams without cluster-admin (#708/#945).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import kube
from components.fateconf import ports
from components.fateconf.versions import DEFAULT_FATE_VERSION, image
from stacks.config import KubefateConfig

CREDENTIALS_SECRET = "kubefate-credentials"
ADMIN_USERNAME = "admin"
DATABASE = "kube_fate"
DATABASE_USER = "kubefate"

# What KubeFATE manages in a namespace (its rbac-config.yaml, minus PodSecurityPolicies).
NAMESPACED_RULES: list[dict[str, Any]] = [
    {"api_groups": [""], "resources": ["configmaps", "services", "secrets", "persistentvolumeclaims",
                                       "serviceaccounts"],
     "verbs": ["get", "list", "watch", "create", "delete", "update", "patch"]},
    {"api_groups": [""], "resources": ["pods", "pods/log", "events"], "verbs": ["get", "list", "watch"]},
    {"api_groups": ["apps"], "resources": ["deployments", "statefulsets", "deployments/status",
                                           "statefulsets/status"],
     "verbs": ["get", "list", "watch", "create", "delete", "update", "patch"]},
    {"api_groups": ["networking.k8s.io"], "resources": ["ingresses"],
     "verbs": ["get", "list", "watch", "create", "delete", "update", "patch"]},
    {"api_groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
     "verbs": ["get", "list", "create", "delete", "update", "patch"]},
    {"api_groups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "create", "delete"]},
]
CLUSTER_ONLY_RULES: list[dict[str, Any]] = [
    {"api_groups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create", "delete", "update", "patch"]},
    {"api_groups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
]


class KubefateService(pulumi.ComponentResource):
    """KubeFATE's API at `url`, with its admin `username` and generated `password` (secret)."""

    url: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, config: KubefateConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fate:index:KubefateService", name, None, opts)
        instance = "kubefate"
        namespace = config.namespace
        ns = k8s.core.v1.Namespace(f"{name}-namespace", metadata={
            "name": namespace, "labels": kube.namespace_labels(instance)},
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))
        child = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        account = k8s.core.v1.ServiceAccount(f"{name}-account", metadata={
            "name": "kubefate-admin", "namespace": namespace, "labels": kube.labels("kubefate", instance)},
            automount_service_account_token=True, opts=child)
        self._rbac(name, config, account.metadata.name, child)

        secret_opts = pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"])
        admin = random.RandomPassword(f"{name}-admin-password", length=24, special=False, opts=secret_opts).result
        database = random.RandomPassword(f"{name}-db-password", length=24, special=False, opts=secret_opts).result
        root = random.RandomPassword(f"{name}-db-root-password", length=24, special=False, opts=secret_opts).result
        credentials = pulumi.Output.secret(pulumi.Output.all(admin, database, root).apply(lambda pw: {
            "kubefateUsername": ADMIN_USERNAME, "kubefatePassword": pw[0],
            "mariadbUsername": DATABASE_USER, "mariadbPassword": pw[1], "mariadbRootPassword": pw[2],
        }))
        secret = k8s.core.v1.Secret(f"{name}-credentials", metadata={
            "name": CREDENTIALS_SECRET, "namespace": namespace, "labels": kube.labels("kubefate", instance)},
            type="Opaque", string_data=credentials, opts=pulumi.ResourceOptions(parent=self, depends_on=[ns],
                                                                                 retain_on_delete=True))

        def from_secret(env: str, key: str) -> dict[str, Any]:
            return {"name": env, "value_from": {"secret_key_ref": {"name": CREDENTIALS_SECRET, "key": key}}}

        module_opts = pulumi.ResourceOptions(parent=self, depends_on=[ns, secret])
        kube.namespace_network_policy(f"{name}-network-policy", namespace=namespace, instance=instance,
                                      public_ports=[ports.KUBEFATE_HTTP], opts=child)
        kube.Module(f"{name}-mariadb", kube.ModuleSpec(
            name="mariadb",
            image=image("mariadb", DEFAULT_FATE_VERSION),
            ports={"mysql": ports.MARIADB},
            stateful=True,
            # The image reads passwords from files (*_FILE): no secret in the environment.
            env=[{"name": "MARIADB_DATABASE", "value": DATABASE}, {"name": "MARIADB_USER", "value": DATABASE_USER},
                 {"name": "MARIADB_PASSWORD_FILE", "value": "/run/secrets/kubefate/mariadbPassword"},
                 {"name": "MARIADB_ROOT_PASSWORD_FILE", "value": "/run/secrets/kubefate/mariadbRootPassword"}],
            config=[kube.ConfigFiles(name=CREDENTIALS_SECRET, mount_path="/run/secrets/kubefate", files={},
                                     secret=True, managed=False, rolls_pods=False)],
            data=kube.DataVolume(name="data", mount_path="/var/lib/mysql", size="5Gi"),
            readiness=kube.tcp_probe(ports.MARIADB, initial_delay=5),
            liveness=kube.tcp_probe(ports.MARIADB, initial_delay=30),
        ), namespace, instance, opts=module_opts)
        kube.Module(f"{name}-kubefate", kube.ModuleSpec(
            name="kubefate",
            image=image("kubefate", DEFAULT_FATE_VERSION),
            ports={"http": ports.KUBEFATE_HTTP},
            env=[
                {"name": "FATECLOUD_DB_TYPE", "value": "mysql"},
                {"name": "FATECLOUD_DB_HOST", "value": "mariadb"},
                {"name": "FATECLOUD_DB_PORT", "value": str(ports.MARIADB)},
                {"name": "FATECLOUD_DB_NAME", "value": DATABASE},
                from_secret("FATECLOUD_DB_USERNAME", "mariadbUsername"),
                from_secret("FATECLOUD_DB_PASSWORD", "mariadbPassword"),
                from_secret("FATECLOUD_USER_USERNAME", "kubefateUsername"),
                from_secret("FATECLOUD_USER_PASSWORD", "kubefatePassword"),
                {"name": "FATECLOUD_SERVER_ADDRESS", "value": "0.0.0.0"},
                {"name": "FATECLOUD_SERVER_PORT", "value": str(ports.KUBEFATE_HTTP)},
                {"name": "FATECLOUD_LOG_LEVEL", "value": "info"},
                {"name": "FATECLOUD_LOG_NOCOLOR", "value": "true"},
            ],
            service_account=account.metadata.name,
            automount_token=True,
            workload_annotations={"checkov.io/skip1": "CKV_K8S_35=KubeFATE reads its credentials only from the "
                                                      "environment (FATECLOUD_*); they come from a Secret"},
            readiness=kube.tcp_probe(ports.KUBEFATE_HTTP, initial_delay=5),
            liveness=kube.tcp_probe(ports.KUBEFATE_HTTP, initial_delay=30),
        ), namespace, instance, opts=module_opts)

        if config.ingress_host:
            k8s.networking.v1.Ingress(f"{name}-ingress", metadata={
                "name": "kubefate", "namespace": namespace, "labels": kube.labels("kubefate", instance)},
                spec={"ingress_class_name": "nginx", "rules": [{"host": config.ingress_host, "http": {"paths": [{
                    "path": "/", "path_type": "Prefix",
                    "backend": {"service": {"name": "kubefate", "port": {"number": ports.KUBEFATE_HTTP}}},
                }]}}]}, opts=child)
            self.url = pulumi.Output.from_input(f"http://{config.ingress_host}")
        else:
            self.url = pulumi.Output.from_input(f"http://{kube.cluster_dns('kubefate', namespace)}:{ports.KUBEFATE_HTTP}")
        self.username = pulumi.Output.from_input(ADMIN_USERNAME)
        self.password = pulumi.Output.secret(admin)
        self.register_outputs({"url": self.url, "username": self.username})

    def _rbac(self, name: str, config: KubefateConfig, account: pulumi.Output[str],
              opts: pulumi.ResourceOptions) -> None:
        subject = [{"kind": "ServiceAccount", "name": account, "namespace": config.namespace}]
        labels = kube.labels("kubefate", "kubefate")
        if config.rbac_scope == "cluster":
            role = k8s.rbac.v1.ClusterRole(f"{name}-role", metadata={"name": "kubefate-role", "labels": labels},
                                           rules=NAMESPACED_RULES + CLUSTER_ONLY_RULES, opts=opts)
            k8s.rbac.v1.ClusterRoleBinding(f"{name}-binding", metadata={"name": "kubefate", "labels": labels},
                                           role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                     "name": role.metadata.name},
                                           subjects=subject, opts=opts)
            return
        for namespace in config.namespaces:
            role = k8s.rbac.v1.Role(f"{name}-role-{namespace}", metadata={
                "name": "kubefate-role", "namespace": namespace, "labels": labels}, rules=NAMESPACED_RULES, opts=opts)
            k8s.rbac.v1.RoleBinding(f"{name}-binding-{namespace}", metadata={
                "name": "kubefate", "namespace": namespace, "labels": labels},
                role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
                subjects=subject, opts=opts)
