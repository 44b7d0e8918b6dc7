"""KubefateService: the KubeFATE service (REST API + MariaDB) for teams that still drive KubeFATE.

Off by default: this project deploys FATE itself; this exists for teams whose tooling talks to KubeFATE's
API or CLI. It follows KubeFATE's k8s-deploy/rbac-config.yaml and kubefate.yaml, and differs where those
hurt users:
- MariaDB keeps its data on a volume that outlives `pulumi destroy` (KubeFATE #220/#870 lost it with
  the pod), and it re-aligns its accounts with the Secret at every start, so a re-created stack (new
  generated passwords) still opens the data it left behind.
- Credentials are generated (not admin/admin) and reach the pods as files, never environment variables.
- RBAC can be limited to named namespaces for teams without cluster-admin (KubeFATE #708/#945).
- No PodSecurityPolicy rules (removed in Kubernetes 1.25); namespaces are read, never created or deleted
  (KubeFATE v1.4.5 only lists them: the namespace check before `helm install` is commented out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import kube
from components.exposure import namespace_network_policy
from components.fateconf.kubefate import ADMIN_USERNAME, DATABASE_USER, kubefate_config_yaml, mariadb_init_sql
from facts import ports
from facts.labels import labels, namespace_labels
from facts.names import KUBEFATE_SERVICE as SERVICE
from facts.names import CLUSTER_DOMAIN, MARIADB_SERVICE, cluster_dns
from facts.paths import KUBEFATE_CONFIG_DIR, MARIADB_INIT_DIR, MYSQL_DATA_DIR
from facts.versions import DEFAULT_FATE_VERSION, image
from specs.party import KubefateConfig

INSTANCE = "kubefate"
SERVICE_ACCOUNT = "kubefate-admin"
ROLE = "kubefate-role"
BINDING = "kubefate"
CREDENTIALS_SECRET = "kubefate-secret"
"""KubeFATE's own name and keys for it, so its docs and scripts that read the credentials still work."""
CONFIG_SECRET = "kubefate-config"
MARIADB_INIT_SECRET = "mariadb-init"
KUBEFATE_UID = 65532
"""The `nonroot` user of the kubefate image (distroless static:nonroot): the service needs no root."""
MARIADB_VOLUME_SIZE = "5Gi"
INGRESS_CLASS = "nginx"
"""KubeFATE's kubefate.yaml uses the nginx class."""

_FULL = ["get", "list", "create", "delete", "update", "patch"]
_NO_LIST = ["get", "create", "delete", "update", "patch"]

MANAGED_RULES: list[dict[str, Any]] = [
    # What the Helm releases of KubeFATE's charts create, and Helm's release records (Secrets).
    {"api_groups": [""], "resources": ["configmaps", "services", "secrets", "persistentvolumeclaims",
                                       "serviceaccounts"], "verbs": _FULL},
    # Status, `kubefate cluster describe` and `kubefate log`.
    {"api_groups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
    {"api_groups": ["apps"], "resources": ["deployments", "statefulsets", "deployments/status",
                                           "statefulsets/status"], "verbs": _FULL},
    {"api_groups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": _FULL},
    # The charts' `istio.enabled` option; inert on clusters without Istio.
    {"api_groups": ["networking.istio.io"], "resources": ["gateways", "virtualservices"], "verbs": _NO_LIST},
    # The upgrade-manager chart (Role, RoleBinding and Job) that migrates FATE's MySQL on upgrades.
    {"api_groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": _NO_LIST},
    {"api_groups": ["batch"], "resources": ["jobs"], "verbs": _FULL},
]
"""Rules KubeFATE needs in every namespace it deploys FATE into (rbac-config.yaml minus PodSecurityPolicy)."""

CLUSTER_READ_RULES: list[dict[str, Any]] = [
    {"api_groups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},  # `kubefate namespace ls`
    {"api_groups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},  # the node IP in cluster info
]
"""Cluster-scoped reads; only with rbacScope `cluster`. Without them KubeFATE still installs, updates and
deletes clusters (it reports the node-IP error inside `cluster describe`, as KubeFATE's namespace-admin
guide lists under Limits)."""


def _dependencies(opts: pulumi.ResourceOptions | None) -> list[Any]:
    """The caller's depends_on as a list: children need it too (a component's depends_on does not reach
    them), e.g. Roles in namespaces another component of the stack creates."""
    depends_on = opts.depends_on if opts is not None else None
    if depends_on is None:
        return []
    return list(depends_on) if isinstance(depends_on, Sequence) else [depends_on]


class KubefateService(pulumi.ComponentResource):
    """KubeFATE's API at `url`, with its admin `username` and generated `password` (secret)."""

    url: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(
        self, name: str, config: KubefateConfig, opts: pulumi.ResourceOptions | None = None, *,
        registry: str = "", image_pull_secrets: Sequence[str] = (), storage_class: str | None = None,
        cluster_domain: str = CLUSTER_DOMAIN, await_timeout_seconds: int | None = None,
    ) -> None:
        super().__init__("fate:index:KubefateService", name, None, opts)
        self._name = name
        self._await_timeout_seconds = await_timeout_seconds
        self._config = config
        after = _dependencies(opts)
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": config.namespace, "labels": namespace_labels(INSTANCE)},
            # Deleting the namespace would delete MariaDB's retained volume claim with it.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True, depends_on=after),
        )
        # Objects in the namespace name it through the Namespace's output, so they wait for it.
        namespace = self._namespace = ns.metadata.name
        child = pulumi.ResourceOptions(parent=self, depends_on=[*after, ns])
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata={"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": labels(SERVICE, INSTANCE)},
            automount_service_account_token=False,
            opts=child,
        )
        self._rbac(account.metadata.name, pulumi.ResourceOptions(parent=self, depends_on=[*after, account]))
        namespace_network_policy(f"{name}-network-policy", namespace=namespace, instance=INSTANCE,
                                      openings={SERVICE: [ports.KUBEFATE_HTTP]}, opts=child)

        admin, database, root = (
            random.RandomPassword(f"{name}-{purpose}-password", length=24, special=False,
                                  opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"])).result
            for purpose in ("admin", "db", "db-root")
        )
        k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata={"name": CREDENTIALS_SECRET, "namespace": namespace, "labels": labels(SERVICE, INSTANCE)},
            type="Opaque",
            string_data=pulumi.Output.secret(pulumi.Output.all(admin, database, root).apply(lambda pw: {
                "kubefateUsername": ADMIN_USERNAME, "kubefatePassword": pw[0],
                "mariadbUsername": DATABASE_USER, "mariadbPassword": pw[1], "mariadbRootPassword": pw[2],
            })),
            opts=child,
        )
        pull_secrets = tuple(image_pull_secrets)
        self._checksum_key = kube.checksum_key(name, self)
        self._add_mariadb(database, root, registry, pull_secrets, storage_class, child)
        self._add_kubefate(admin, database, account.metadata.name, registry, pull_secrets, child)

        if config.ingress_host:
            k8s.networking.v1.Ingress(
                f"{name}-ingress",
                metadata={"name": SERVICE, "namespace": namespace, "labels": labels(SERVICE, INSTANCE)},
                spec={"ingress_class_name": INGRESS_CLASS, "rules": [{"host": config.ingress_host, "http": {"paths": [{
                    "path": "/", "path_type": "Prefix",
                    "backend": {"service": {"name": SERVICE, "port": {"number": ports.KUBEFATE_HTTP}}},
                }]}}]},
                opts=child,
            )
            url = f"http://{config.ingress_host}"
        else:
            url = f"http://{cluster_dns(SERVICE, config.namespace, cluster_domain)}:{ports.KUBEFATE_HTTP}"
        self.url = pulumi.Output.from_input(url)
        self.username = pulumi.Output.from_input(ADMIN_USERNAME)
        self.password = pulumi.Output.secret(admin)
        self.register_outputs({"url": self.url, "username": self.username, "password": self.password})

    def _rbac(self, account: pulumi.Output[str], opts: pulumi.ResourceOptions) -> None:
        """Cluster scope: one ClusterRole. Namespaces scope: a Role per namespace and nothing cluster-wide,
        so a team with only namespace `admin` rights can apply it (KubeFATE's namespace-admin guide)."""
        config, name = self._config, self._name
        subjects = [{"kind": "ServiceAccount", "name": account, "namespace": self._namespace}]
        role_labels = labels(SERVICE, INSTANCE)
        if config.rbac_scope == "cluster":
            role = k8s.rbac.v1.ClusterRole(f"{name}-role", metadata={"name": ROLE, "labels": role_labels},
                                           rules=MANAGED_RULES + CLUSTER_READ_RULES, opts=opts)
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-binding", metadata={"name": BINDING, "labels": role_labels},
                role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name},
                subjects=subjects, opts=opts)
            return
        for namespace in dict.fromkeys(config.namespaces):
            role = k8s.rbac.v1.Role(f"{name}-role-{namespace}", metadata={
                "name": ROLE, "namespace": namespace, "labels": role_labels}, rules=MANAGED_RULES, opts=opts)
            k8s.rbac.v1.RoleBinding(
                f"{name}-binding-{namespace}", metadata={"name": BINDING, "namespace": namespace, "labels": role_labels},
                role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
                subjects=subjects, opts=opts)

    def _add_mariadb(self, database: pulumi.Output[str], root: pulumi.Output[str], registry: str,
                     pull_secrets: tuple[str, ...], storage_class: str | None, opts: pulumi.ResourceOptions) -> None:
        files: pulumi.Output[Mapping[str, str]] = pulumi.Output.secret(pulumi.Output.all(database, root).apply(
            lambda pw: {"init.sql": mariadb_init_sql(database_password=pw[0], root_password=pw[1]),
                        "rootPassword": pw[1]}))
        kube.Module(f"{self._name}-mariadb", kube.ModuleSpec(
            name=MARIADB_SERVICE,
            image=image("mariadb", DEFAULT_FATE_VERSION, registry=registry),
            ports={"mysql": ports.MARIADB},
            stateful=True,
            # The entrypoint takes `--` options as mariadbd's; root's first password comes from a file.
            args=[f"--init-file={MARIADB_INIT_DIR}/init.sql"],
            env=[{"name": "MARIADB_ROOT_PASSWORD_FILE", "value": f"{MARIADB_INIT_DIR}/rootPassword"}],
            config=[kube.ConfigFiles(name=MARIADB_INIT_SECRET, mount_path=MARIADB_INIT_DIR, files=files, secret=True)],
            checksum_key=self._checksum_key,
            data=kube.DataVolume(name="data", mount_path=MYSQL_DATA_DIR, size=MARIADB_VOLUME_SIZE,
                                 storage_class=storage_class),
            retain_volumes=True,
            image_pull_secrets=pull_secrets,
            await_timeout_seconds=self._await_timeout_seconds,
            readiness=kube.tcp_probe(ports.MARIADB, initial_delay=5),
            liveness=kube.tcp_probe(ports.MARIADB, initial_delay=30),
        ), self._namespace, INSTANCE, opts=opts)

    def _add_kubefate(self, admin: pulumi.Output[str], database: pulumi.Output[str], account: pulumi.Output[str],
                      registry: str, pull_secrets: tuple[str, ...], opts: pulumi.ResourceOptions) -> None:
        files: pulumi.Output[Mapping[str, str]] = pulumi.Output.secret(pulumi.Output.all(admin, database).apply(
            lambda pw: {"config.yaml": kubefate_config_yaml(admin_password=pw[0], database_password=pw[1])}))
        kube.Module(f"{self._name}-kubefate", kube.ModuleSpec(
            name=SERVICE,
            image=image("kubefate", DEFAULT_FATE_VERSION, registry=registry),
            ports={"http": ports.KUBEFATE_HTTP},
            # Replaces the image's /config.yaml (its working directory is /); a change rolls the pod.
            config=[kube.ConfigFiles(name=CONFIG_SECRET, mount_path=KUBEFATE_CONFIG_DIR, files=files, secret=True,
                                     file_names=("config.yaml",))],
            checksum_key=self._checksum_key,
            run_as_user=KUBEFATE_UID,
            service_account=account,
            automount_token=True,
            workload_annotations={"checkov.io/skip1": "CKV_K8S_38=KubeFATE drives the Kubernetes API (Helm) with "
                                                      "this account's token; RBAC limits what it may do"},
            image_pull_secrets=pull_secrets,
            await_timeout_seconds=self._await_timeout_seconds,
            readiness=kube.tcp_probe(ports.KUBEFATE_HTTP, initial_delay=5),
            liveness=kube.tcp_probe(ports.KUBEFATE_HTTP, initial_delay=30),
        ), self._namespace, INSTANCE, opts=opts)
