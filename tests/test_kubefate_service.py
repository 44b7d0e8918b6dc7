"""KubefateService as users see it: RBAC for both scopes, generated credentials only in Secrets, MariaDB on a
retained volume, outputs, and every object valid for Kubernetes 1.31 (strict) and clean under checkov.

Test doubles: the Pulumi engine and the Kubernetes API server (fedctl's engine mocks, via the harness).
Real: pulumi-random's values, kubernetes-validate's schemas, checkov, and a real MariaDB server (Debian's
10.11, the image's series) that runs the init file the component ships.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import pulumi
import pulumi_kubernetes as k8s
from components.fateconf.kubefate import kubefate_config_yaml, mariadb_init_sql
from components.kubefate_service import KubefateService
from fedctl.records import StackRun
from fedctl.render import Rendered, write
from specs.party import KubefateConfig
from tests.support.manifest_checks import checkov_available, run_checkov, validate_manifest
from tests.support.peers import require_peer
from tests.support.pulumi_harness import run_component, run_program, shipped_config
from tests.support.peers import require_peer

# KubeFATE's k8s-deploy/rbac-config.yaml (tag v2.0.0, service v1.4.5): (api group, resource) -> verbs.
UPSTREAM_RULES: dict[tuple[str, str], set[str]] = {
    **{("", r): {"get", "list", "create", "delete", "update", "patch"}
       for r in ("namespaces", "configmaps", "services", "secrets", "persistentvolumeclaims", "serviceaccounts")},
    **{("", r): {"get", "list"} for r in ("pods", "pods/log", "nodes")},
    **{("apps", r): {"get", "list", "create", "delete", "update", "patch"}
       for r in ("deployments", "statefulsets", "deployments/status", "statefulsets/status")},
    ("networking.k8s.io", "ingresses"): {"get", "list", "create", "delete", "update", "patch"},
    **{("networking.istio.io", r): {"get", "create", "delete", "update", "patch"}
       for r in ("gateways", "virtualservices")},
    **{("rbac.authorization.k8s.io", r): {"get", "create", "delete", "update", "patch"}
       for r in ("roles", "rolebindings")},
    ("batch", "jobs"): {"get", "list", "create", "delete", "update", "patch"},
}
# Narrowed on purpose (docs/kubefate-service.md): KubeFATE v1.4.5 only lists namespaces.
NARROWED = {("", "namespaces"): {"create", "delete", "update", "patch"}}
CLUSTER_SCOPED = {"", "Namespace", "ClusterRole", "ClusterRoleBinding"}
# The keys KubeFATE v1.4.5 reads with viper.GetString/GetBool (pkg/api, pkg/orm, pkg/service, logging).
VIPER_KEYS = {"server.address", "server.port", "db.type", "db.host", "db.port", "db.name", "db.username",
              "db.password", "repo.name", "repo.url", "user.username", "user.password", "log.level", "log.nocolor"}


def kubefate(**config: Any) -> StackRun:
    """Run the component alone, as a program of its own; every object must pass strict validation."""
    settings = KubefateConfig.model_validate({"enabled": True, **config})

    def program() -> dict[str, Any]:
        service = KubefateService("kubefate", settings)
        return {"url": service.url, "username": service.username, "password": service.password}

    run = run_component(program)
    for obj in run.k8s_objects():
        validate_manifest(obj)
    return run


def granted(rules: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    pairs: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                pairs.setdefault((group, resource), set()).update(rule["verbs"])
    return pairs


def pod(run: StackRun, kind: str, name: str) -> dict[str, Any]:
    return run.k8s_object(kind, name)["spec"]["template"]["spec"]


def flat(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from flat(item)
    elif isinstance(value, list):
        for item in value:
            yield from flat(item)
    else:
        yield str(value)


# --- RBAC -------------------------------------------------------------------------------------------


def test_cluster_scope_keeps_kubefates_rights_without_psp_or_namespace_writes() -> None:
    run = kubefate()
    role = granted(run.k8s_object("ClusterRole", "kubefate-role")["rules"])
    for pair, verbs in UPSTREAM_RULES.items():
        missing = verbs - role.get(pair, set()) - NARROWED.get(pair, set())
        assert not missing, f"{pair} lost {missing} compared with KubeFATE's rbac-config.yaml"
    assert role[("", "namespaces")] == {"get", "list"}
    assert not any(resource == "podsecuritypolicies" for _, resource in role)
    assert set(role) == set(UPSTREAM_RULES), "no rights beyond KubeFATE's own"
    binding = run.k8s_object("ClusterRoleBinding", "kubefate")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "kubefate-role"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubefate-admin", "namespace": "kube-fate"}]
    assert pod(run, "Deployment", "kubefate")["serviceAccountName"] == "kubefate-admin"
    assert run.k8s_objects("Role") == [] and run.k8s_objects("RoleBinding") == []


def test_namespace_scope_needs_no_cluster_admin() -> None:
    """What a team with only namespace `admin` rights can apply: nothing cluster-wide but the namespace."""
    run = kubefate(rbacScope="namespaces", namespaces=["fate-9999", "fate-10000", "fate-9999"])
    cluster_wide = [o["kind"] for o in run.k8s_objects() if not o["metadata"].get("namespace")]
    assert cluster_wide == ["Namespace"]
    roles = {r["metadata"]["namespace"]: granted(r["rules"]) for r in run.k8s_objects("Role")}
    assert set(roles) == {"fate-9999", "fate-10000"}
    cluster_role = kubefate().k8s_object("ClusterRole", "kubefate-role")["rules"]
    for rules in roles.values():
        assert set(rules) == set(UPSTREAM_RULES) - {("", "namespaces"), ("", "nodes")}
        assert all(rules[pair] == verbs for pair, verbs in granted(cluster_role).items() if pair in rules)
    bindings = {b["metadata"]["namespace"]: b for b in run.k8s_objects("RoleBinding")}
    assert set(bindings) == {"fate-9999", "fate-10000"}
    for namespace, binding in bindings.items():
        assert binding["roleRef"]["kind"] == "Role" and binding["roleRef"]["name"] == "kubefate-role"
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubefate-admin",
                                        "namespace": "kube-fate"}], namespace


# --- credentials ------------------------------------------------------------------------------------


def test_generated_credentials_live_only_in_secrets() -> None:
    run = kubefate()
    credentials = run.k8s_object("Secret", "kubefate-secret")["stringData"]
    assert set(credentials) == {"kubefateUsername", "kubefatePassword", "mariadbUsername", "mariadbPassword",
                                "mariadbRootPassword"}
    passwords = [credentials[k] for k in ("kubefatePassword", "mariadbPassword", "mariadbRootPassword")]
    assert len(set(passwords)) == 3 and all(len(p) == 24 and p.isalnum() for p in passwords)
    assert credentials["kubefateUsername"] == "admin" and "admin" not in passwords

    # The service reads them from its config file (a Secret), not from the environment.
    config = yaml.safe_load(run.k8s_object("Secret", "kubefate-config")["stringData"]["config.yaml"])
    assert config["user"] == {"username": "admin", "password": credentials["kubefatePassword"]}
    assert config["db"]["username"] == "kubefate" and config["db"]["password"] == credentials["mariadbPassword"]
    init_sql = run.k8s_object("Secret", "mariadb-init")["stringData"]
    assert credentials["mariadbPassword"] in init_sql["init.sql"]
    assert init_sql["rootPassword"] == credentials["mariadbRootPassword"]

    assert run.k8s_objects("ConfigMap") == []
    for workload in (pod(run, "Deployment", "kubefate"), pod(run, "StatefulSet", "mariadb")):
        for container in workload["containers"]:
            assert not any(p in value for value in flat(container.get("env", [])) for p in passwords)
            assert not any("secretKeyRef" in str(e) for e in container.get("env", []))

    assert run.outputs["password"] == credentials["kubefatePassword"] and run.outputs["username"] == "admin"
    assert run.secret_outputs == {"password"} and run.redacted_outputs()["password"] == "[secret]"
    shown = "\n".join(flat(run.k8s_objects(show_secrets=False))) + str(run.redacted_outputs())
    assert not any(p in shown for p in passwords), "a password leaked into the redacted render"


def test_the_service_mounts_its_config_where_the_image_reads_it() -> None:
    """The image's working directory is / and viper reads config.yaml there, before any FATECLOUD_* variable."""
    run = kubefate()
    spec = pod(run, "Deployment", "kubefate")
    container = spec["containers"][0]
    assert container["image"] == "federatedai/kubefate:v1.4.5"
    assert "env" not in container or container["env"] == []
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/config.yaml")
    assert mount["subPath"] == "config.yaml" and mount["readOnly"] is True
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == "kubefate-config"
    annotations = run.k8s_object("Deployment", "kubefate")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["fate-federation/config-checksum"], "a new password must restart the service"
    assert container["securityContext"]["runAsUser"] == 65532 and container["securityContext"]["runAsNonRoot"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert spec["automountServiceAccountToken"] is True
    assert run.k8s_object("ServiceAccount", "kubefate-admin")["automountServiceAccountToken"] is False


def test_config_file_has_every_key_kubefate_reads() -> None:
    config = yaml.safe_load(kubefate_config_yaml(admin_password="a", database_password="d"))
    keys = {f"{section}.{key}" for section, values in config.items() for key in values}
    assert keys == VIPER_KEYS
    assert config["db"] == {"type": "mysql", "host": "mariadb", "port": "3306", "name": "kube_fate",
                            "username": "kubefate", "password": "d"}
    assert config["server"] == {"address": "0.0.0.0", "port": "8080"} and config["log"]["nocolor"] is True


# --- MariaDB ----------------------------------------------------------------------------------------


def test_mariadb_data_outlives_destroy() -> None:
    run = kubefate()
    mariadb = run.k8s_object("StatefulSet", "mariadb")["spec"]
    assert mariadb["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    claim = mariadb["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    container = mariadb["template"]["spec"]["containers"][0]
    assert {"name": "data", "mountPath": "/var/lib/mysql"} in container["volumeMounts"]
    assert container["args"] == ["--init-file=/etc/mariadb-init/init.sql"]
    assert {"name": "MARIADB_ROOT_PASSWORD_FILE", "value": "/etc/mariadb-init/rootPassword"} in container["env"]
    assert container["image"] == "mariadb:10.11.10"
    # Deleting the namespace would delete the claim: `pulumi destroy` leaves it.
    retained = {(r.typ, r.name) for r in run.resources if r.retain_on_delete}
    assert retained == {("kubernetes:core/v1:Namespace", "kubefate-namespace")}


@pytest.fixture
def mariadb_dir() -> Iterator[Path]:
    require_peer("MariaDB", bool(shutil.which("mariadbd") and shutil.which("mariadb-install-db")),
                 "run `make test` (it installs Debian's mariadb-server)")
    directory = Path(tempfile.mkdtemp(prefix="kfdb-", dir="/tmp"))  # short: the socket path is limited
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


class MariaDB:
    """A real mariadbd on loopback, started as the image starts it: `mariadbd --init-file=...`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = str(directory / "sock")
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0

    def _args(self, init_sql: str) -> list[str]:
        (self.directory / "init.sql").write_text(init_sql)
        return ["--no-defaults", f"--datadir={self.directory / 'data'}", "--user=root",
                f"--init-file={self.directory / 'init.sql'}"]

    def first_start(self, init_sql: str, root_password: str) -> None:
        """What the image's entrypoint does on an empty volume: install the system tables, start a
        temporary server (socket only, with the container's arguments), log in as root WITHOUT a
        password, set root's password and create root@'%', stop."""
        args = self._args(init_sql)
        subprocess.run(["mariadb-install-db", *args, "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=300)
        self._start([*args, "--skip-networking", f"--socket={self.socket}", f"--pid-file={self.directory / 'pid'}"],
                    tcp=False)
        setup = subprocess.run(
            ["mariadb", "--no-defaults", "--protocol=socket", "-uroot", f"--socket={self.socket}", "--database=mysql",
             "-e", f"SET PASSWORD FOR 'root'@'localhost' = PASSWORD('{root_password}'); "
                   f"CREATE USER 'root'@'%' IDENTIFIED BY '{root_password}'; "
                   "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"],
            capture_output=True, text=True, timeout=60, env={**os.environ, "MYSQL_PWD": ""})
        self.stop()
        assert setup.returncode == 0, f"the entrypoint's first-start setup failed: {setup.stderr}"

    def start(self, init_sql: str) -> None:
        self.port = _free_port()
        self._start([*self._args(init_sql), f"--port={self.port}", "--bind-address=127.0.0.1",
                     f"--socket={self.socket}", f"--pid-file={self.directory / 'pid'}"], tcp=True)

    def _start(self, args: list[str], *, tcp: bool) -> None:
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 (kept open for the server's life)
        self.server = subprocess.Popen(["mariadbd", *args], stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError((self.directory / "server.log").read_text()[-2000:])
            with socket.socket(*((socket.AF_INET,) if tcp else (socket.AF_UNIX,))) as probe:
                if probe.connect_ex(("127.0.0.1", self.port) if tcp else self.socket) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise AssertionError("MariaDB did not start within 60 s")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=60)
            self.server = None

    def sql(self, user: str, password: str, statement: str, *, via_socket: bool = False) -> subprocess.CompletedProcess[str]:
        where = [f"--socket={self.socket}"] if via_socket else ["-h127.0.0.1", f"-P{self.port}"]
        return subprocess.run(["mariadb", "--no-defaults", *where, f"-u{user}", "-N", "-e", statement],
                               capture_output=True, text=True, timeout=60, env={**os.environ, "MYSQL_PWD": password})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mariadb(mariadb_dir: Path) -> Iterator[MariaDB]:
    server = MariaDB(mariadb_dir)
    yield server
    server.stop()


def _as_kubefate(run: StackRun) -> tuple[str, str, str]:
    """What the service would connect with, read from the config file the component ships."""
    db = yaml.safe_load(run.k8s_object("Secret", "kubefate-config")["stringData"]["config.yaml"])["db"]
    return db["username"], db["password"], db["name"]


def test_a_recreated_stack_opens_the_data_it_left_behind(mariadb: MariaDB) -> None:
    """KubeFATE #220/#870: after a destroy and a new `up` (new generated passwords), the retained volume
    still serves KubeFATE, and root follows the new Secret too; the earlier passwords stop working.
    Real MariaDB, the component's own files."""
    first, second = kubefate(), kubefate()
    user, first_password, database = _as_kubefate(first)
    _, second_password, _ = _as_kubefate(second)
    first_init, second_init = (run.k8s_object("Secret", "mariadb-init")["stringData"] for run in (first, second))
    assert first_password != second_password and first_init["rootPassword"] != second_init["rootPassword"]

    mariadb.first_start(first_init["init.sql"], first_init["rootPassword"])
    mariadb.start(first_init["init.sql"])
    created = mariadb.sql(user, first_password, f"CREATE TABLE {database}.t_cluster (name VARCHAR(20)); "
                                                f"INSERT INTO {database}.t_cluster VALUES ('fate-9999')")
    assert created.returncode == 0, created.stderr
    mariadb.stop()

    mariadb.start(second_init["init.sql"])
    kept = mariadb.sql(user, second_password, f"SELECT name FROM {database}.t_cluster")
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.split() == ["fate-9999"]
    assert mariadb.sql(user, first_password, "SELECT 1").returncode != 0
    root = second.k8s_object("Secret", "kubefate-secret")["stringData"]["mariadbRootPassword"]
    assert root == second_init["rootPassword"]
    assert mariadb.sql("root", root, "SELECT 'tcp'").stdout.split() == ["tcp"]
    assert mariadb.sql("root", root, "SELECT 'socket'", via_socket=True).stdout.split() == ["socket"]
    assert mariadb.sql("root", first_init["rootPassword"], "SELECT 1", via_socket=True).returncode != 0
    assert mariadb.sql(user, second_password, "CREATE DATABASE other").returncode != 0, "grants stay on kube_fate"


def test_init_file_takes_any_password(mariadb: MariaDB) -> None:
    """Quotes and backslashes survive the two levels of SQL quoting (real MariaDB)."""
    database_password, root_password = "it's a \\ test", "r'o\\ot"
    init_sql = mariadb_init_sql(database_password=database_password, root_password=root_password)
    mariadb.first_start(init_sql, "plain-first-root")
    mariadb.start(init_sql)
    assert mariadb.sql("kubefate", database_password, "SELECT 'ok'").stdout.split() == ["ok"]
    assert mariadb.sql("root", root_password, "SELECT 'ok'", via_socket=True).stdout.split() == ["ok"]


# --- outputs, ingress, images -----------------------------------------------------------------------


def test_url_is_the_cluster_service_without_ingress() -> None:
    run = kubefate()
    assert run.outputs["url"] == "http://kubefate.kube-fate.svc.cluster.local:8080"
    service = run.k8s_object("Service", "kubefate", "kube-fate")
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    assert run.k8s_objects("Ingress") == []
    namespace = run.k8s_object("Namespace", "kube-fate")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "baseline"


def test_ingress_host_is_the_url() -> None:
    run = kubefate(ingressHost="kubefate.example.org", namespace="kubefate-9999")
    ingress = run.k8s_object("Ingress", "kubefate", "kubefate-9999")["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["rules"] == [{"host": "kubefate.example.org", "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "kubefate", "port": {"number": 8080}}}}]}}]
    assert run.outputs["url"] == "http://kubefate.example.org"
    assert {o["metadata"].get("namespace") for o in run.k8s_objects()} - {None} == {"kubefate-9999"}


def test_registry_pull_secrets_and_storage_class() -> None:
    settings = KubefateConfig.model_validate({"enabled": True})

    def program() -> dict[str, Any]:
        KubefateService("kubefate", settings, registry="registry.example.org/mirror",
                        image_pull_secrets=["mirror-pull"], storage_class="fast-ssd")
        return {}

    run = run_component(program)
    kubefate_pod, mariadb_pod = pod(run, "Deployment", "kubefate"), pod(run, "StatefulSet", "mariadb")
    assert kubefate_pod["containers"][0]["image"] == "registry.example.org/mirror/kubefate:v1.4.5"
    assert mariadb_pod["containers"][0]["image"] == "registry.example.org/mirror/mariadb:10.11.10"
    assert kubefate_pod["imagePullSecrets"] == mariadb_pod["imagePullSecrets"] == [{"name": "mirror-pull"}]
    claim = run.k8s_object("StatefulSet", "mariadb")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["storageClassName"] == "fast-ssd"


def test_callers_dependencies_reach_every_child() -> None:
    """Roles go into namespaces another component creates: every object must wait for the caller's
    depends_on (a component's own depends_on does not hold its children back). Read as the engine sees
    it: each registration's dependency URNs, followed transitively."""
    settings = KubefateConfig.model_validate({"enabled": True, "rbacScope": "namespaces", "namespaces": ["fate-9999"]})

    def key(urn: str) -> tuple[str, str]:
        _, _, qualified_type, name = urn.split("::", 3)
        return qualified_type.rsplit("$", 1)[-1], name

    def program() -> dict[str, Any]:
        party_namespace = k8s.core.v1.Namespace("party-namespace", metadata={"name": "fate-9999"})
        KubefateService("kubefate", settings, opts=pulumi.ResourceOptions(depends_on=[party_namespace]))
        return {}

    run = run_component(program)
    dependencies = {(r.typ, r.name): {key(urn) for urn in r.dependencies} for r in run.resources}

    def waits_for(resource: tuple[str, str], target: tuple[str, str], seen: set[tuple[str, str]]) -> bool:
        direct = dependencies.get(resource, set())
        return target in direct or any(waits_for(d, target, seen | {d}) for d in direct - seen)

    party_namespace = ("kubernetes:core/v1:Namespace", "party-namespace")
    objects = [(r.typ, r.name) for r in run.resources if r.is_kubernetes_object and r.name != "party-namespace"]
    kinds = {typ.rsplit(":", 1)[-1] for typ, _ in objects}
    assert ("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubefate-role-fate-9999") in objects
    assert {"Namespace", "ServiceAccount", "Role", "RoleBinding", "Secret", "Deployment", "StatefulSet",
            "Service", "NetworkPolicy"} <= kinds
    assert [o for o in objects if not waits_for(o, party_namespace, {o})] == []


# --- the party stack and policy ---------------------------------------------------------------------


def test_party_stack_with_kubefate_exports_url_and_secret_password() -> None:
    config = shipped_config("party-a")
    config["fate-federation:party"]["kubefate"] = {"enabled": True, "rbacScope": "namespaces",
                                                  "namespaces": ["fate-9999"]}
    run = run_program("party-a", config)
    for obj in run.k8s_objects():
        validate_manifest(obj)
    assert run.outputs["kubefate"] == {"url": "http://kubefate.kube-fate.svc.cluster.local:8080", "username": "admin"}
    assert "kubefatePassword" in run.secret_outputs and "kubefate" not in run.secret_outputs
    assert run.k8s_object("Role", "kubefate-role", "fate-9999")
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in run.k8s_objects()]
    assert len(names) == len(set(names)), "two objects of the stack claim the same name"


def test_checkov_passes_over_the_service(tmp_path: Path) -> None:
    require_peer("checkov", checkov_available(), "run `make test` (it installs checkov in its own venv)")
    for scope in ({}, {"rbacScope": "namespaces", "namespaces": ["fate-9999"], "ingressHost": "kubefate.example.org"}):
        run = kubefate(**scope)
        target = write(Rendered("kubefate", run, 0.0, 1, []), tmp_path, show_secrets=False)
        failed = run_checkov(target / "manifests")
        assert failed == [], [(f["check_id"], f["resource"]) for f in failed]
