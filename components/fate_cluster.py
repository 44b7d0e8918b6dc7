"""FateCluster: one party's FATE on Spark + Pulsar + HDFS, as native Kubernetes objects.

Replaces KubeFATE's `fate` chart for the spark/pulsar/hdfs engine set. Every FATE config file comes from
a pure function in components.fateconf; this module only wires them into ConfigMaps, Secrets, workloads
and Services. Eggroll / OSX engines are a later step: they would be further `_add_*` methods and a
different `federation` in PartyServiceSettings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import kube
from components.exposure import namespace_network_policy, public_service, service_address, service_port
from components.fateconf.fateboard import fateboard_application_properties
from components.fateconf.nginx import nginx_conf, relay_names
from components.fateconf.pulsar import pulsar_standalone_conf
from components.fateconf.routes import party_nginx_route_table_yaml, pulsar_route_table_yaml
from components.fateconf.service_conf import service_conf_yaml, spark_worker_service_conf_yaml
from components.fateconf.settings import (
    Endpoint,
    MysqlSettings,
    PartyServiceSettings,
    PulsarExchange,
    PulsarRoute,
    PulsarSettings,
)
from components.fateconf.spark import spark_defaults_conf
from facts import names, ports
from facts.images import image_facts
from facts.labels import PARTY_ID_LABEL, labels, namespace_labels, party_instance
from facts.paths import (
    CLIENT_PERSISTENCE_DIR,
    HDFS_DATA_DIR,
    HDFS_NAME_DIR,
    MYSQL_DATA_DIR,
    MYSQL_SECRETS_DIR,
    PULSAR_CERT_DIR,
    PULSAR_DATA_DIR,
    config_paths,
)
from facts.sizing import spark_worker_cores, volume_size
from facts.versions import image
from specs.errors import config_key
from specs.party import PartyConfig


MYSQLADMIN_PING = ("mysqladmin", "ping", "--silent")
NOTEBOOK_PASSWORD_SECRET = "notebook-password"
NOTEBOOK_PASSWORD_KEY = "hashed"
NOTEBOOK_COMMAND = (
    "pipeline init --ip \"$FATE_FLOW_IP\" --port \"$FATE_FLOW_PORT\" && "
    "flow init --ip \"$FATE_FLOW_IP\" --port \"$FATE_FLOW_PORT\" && "
    "exec jupyter notebook --ip=0.0.0.0 --port=20000 --allow-root --no-browser "
    "--NotebookApp.notebook_dir=/data/projects/fate/ --NotebookApp.token='' "
    "--NotebookApp.password=\"$NOTEBOOK_HASHED_PASSWORD\""
)
"""The client image's own command (facts.images) with the password Jupyter checks instead of none."""


def jupyter_password_hash(password: str) -> str:
    """Jupyter's `sha1:<salt>:<hex>` form (notebook.auth.passwd), which every notebook 6.x checks. The salt
    is derived from the password, so the hash (hence the pod) only changes with the password."""
    salt = hashlib.sha256(("salt:" + password).encode()).hexdigest()[:12]
    return f"sha1:{salt}:{hashlib.sha1(password.encode() + salt.encode()).hexdigest()}"


VOLUMES = {"mysql": "data", "fateflow": "fateflow-data", "pulsar": "pulsar-data", "client": "persistence",
           "namenode": "dfs", "datanode": "dfs"}
"""Each stateful module's claim template name: its claims are `<volume>-<module>-<ordinal>`."""


@dataclass(frozen=True)
class PlannedVolume:
    """A StatefulSet's claim template as FateCluster will make it."""

    statefulset: str
    volume: str
    replicas: int
    size: str
    size_key: str


def size_key(config_path: str, module: str) -> str:
    return config_key(f"{config_path}.persistence.sizes.{module}")


def planned_volumes(party: PartyConfig, config_path: str = "party") -> list[PlannedVolume]:
    """The claim templates FateCluster makes for this party (the guards of its `_add_*` methods; a test
    holds the two together), for checks that must run before any resource registers."""
    persistence = party.persistence
    if not persistence.enabled:
        return []
    present = {"mysql": party.mysql.external is None, "fateflow": True, "pulsar": party.pulsar.external is None,
               "client": party.notebook.enabled, "namenode": party.hdfs.external is None,
               "datanode": party.hdfs.external is None}
    return [PlannedVolume(module, volume, party.hdfs.datanodes if module == "datanode" else 1,
                          volume_size(party.sizing, persistence.sizes.get(module)),  # type: ignore[arg-type]
                          size_key(config_path, module))
            for module, volume in VOLUMES.items()
            if present[module] and not persistence.existing_claims.get(module)]  # type: ignore[call-overload]


@dataclass(frozen=True)
class ExchangeView:
    """The exchange as a party sees it: its nginx (FATE Flow traffic) and SNI proxy (Pulsar, with the
    federation's domain), and once known the federation CA, this party's signed certificate and the
    stack they were read from."""

    nginx: Endpoint
    pulsar: PulsarExchange
    ca_cert_pem: str | None = None
    certificate_pem: str | None = None
    stack: str | None = None

    @property
    def domain(self) -> str:
        return self.pulsar.domain


@dataclass(frozen=True)
class PulsarCertificate:
    """The broker's certificate in FATE's layout; the key is the party's own and stays in its stack."""

    certificate_pem: pulumi.Input[str]
    private_key_pkcs8_pem: pulumi.Input[str]
    ca_certificate_pem: pulumi.Input[str]


@dataclass(frozen=True)
class FateClusterArgs:
    party: PartyConfig
    exchange: ExchangeView | None = None
    """None while the exchange is not known yet: the party deploys with no default route."""
    pulsar_certificate: PulsarCertificate | str | None = None
    """None until the exchange signed this party's CSR: Pulsar runs without TLS until then. A str names an
    existing Secret in the party's namespace (bring your own PKI) with the same three files."""
    external_mysql_password: pulumi.Input[str] | None = None
    await_timeout_seconds: int | None = None
    """The stack's `kubernetes.awaitTimeoutSeconds`, for every workload (components.kube.Module)."""
    resize_claims: bool = False
    """A stack with a cluster: a size change grows the existing claims in place (components.kube.Module);
    the stack checks the sizes against them first (stacks.live_claims)."""
    config_path: str = "party"
    """The party's config path (`local.parties[0]` in the local stack), for the size keys in errors."""
    kept_mysql_credentials: pulumi.Input[Mapping[str, str]] | None = None
    """The MySQL passwords (names.MYSQL_CREDENTIAL_KEYS) of the party's mysql-credentials Secret as the
    cluster holds it, read by the stack before any resource (stacks/kept_secrets.py): kept from an earlier
    stack with the volumes, they are what the retained data directory knows, so they are used (and the live
    Secret adopted) instead of the generated ones. None: no such Secret, or no cluster to read."""


class FateCluster(pulumi.ComponentResource):
    """A party's FATE cluster; outputs the endpoints other parties and teams use."""

    namespace: pulumi.Output[str]
    nginx_host: pulumi.Output[str | None]
    nginx_http_port: pulumi.Output[int | None]
    nginx_grpc_port: pulumi.Output[int | None]
    pulsar_tls_host: pulumi.Output[str | None]
    pulsar_tls_port: pulumi.Output[int | None]

    def __init__(self, name: str, args: FateClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fate:index:FateCluster", name, None, opts)
        self._args = args
        party = args.party
        self._party = party
        self._name = name
        self._instance = party_instance(party.party_id)
        self._paths = config_paths(party.fate_version)
        self._child = pulumi.ResourceOptions(parent=self)
        retain = self._retain = party.persistence.enabled and party.persistence.retain_on_destroy

        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": party.resolved_namespace, "labels": namespace_labels(self._instance)},
            # Deleting a namespace deletes its volume claims: keep it when volumes are to be kept.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain),
        )
        self.namespace = ns.metadata.name
        self._ns = ns
        namespace_network_policy(
            f"{name}-network-policy", namespace=self.namespace, instance=self._instance,
            openings=self._openings(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )

        self._checksum_key = kube.checksum_key(name, self)
        mysql, mysql_password = self._add_mysql()
        fateboard_password = random.RandomPassword(
            f"{name}-fateboard-password", length=24, special=False,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
        ).result
        service = self._service = self._service_settings(mysql)
        service_conf = pulumi.Output.secret(mysql_password).apply(
            lambda password: {"service_conf.yaml": service_conf_yaml(
                replace(service, mysql=replace(service.mysql, password=password)))}
        )
        self._add_fateflow(service_conf)
        self._add_nginx()
        self._add_pulsar()
        self._add_fateboard(fateboard_password)
        self.notebook_password: pulumi.Output[str] | None = self._add_client() if party.notebook.enabled else None
        self._add_spark()
        self._add_hdfs()

        self.fateboard_password = pulumi.Output.secret(fateboard_password)
        self.register_outputs({
            "namespace": self.namespace,
            "nginxHost": self.nginx_host,
            "pulsarTlsHost": self.pulsar_tls_host,
        })

    # --- helpers ---------------------------------------------------------------------------------

    def _openings(self) -> dict[str, list[int]]:
        """Ports other namespaces reach: nginx (other parties, the exchange), the broker's TLS port (the
        exchange's Traffic Server), and with an ingress the web UIs it publishes (its controller runs
        elsewhere). Pulsar's admin API, Spark's UIs, MySQL and HDFS stay namespace-internal."""
        party = self._party
        openings: dict[str, list[int]] = {"nginx": [ports.NGINX_HTTP, ports.NGINX_GRPC]}
        if party.pulsar.external is None:
            openings["pulsar"] = [ports.PULSAR_BROKER_TLS]
        if party.ingress.enabled:
            openings["fateboard"] = [ports.FATEBOARD_HTTP]
            if party.notebook.enabled:
                openings["client"] = [ports.NOTEBOOK_HTTP]
        return openings

    def _image(self, module: str) -> str:
        party = self._party
        return image(module, party.fate_version, registry=party.registry)

    def _data(self, module: str, mount_path: str, image_module: str | None = None,
              **extra: object) -> kube.DataVolume:
        """The module's volume; an image that initialises only an empty directory gets a sub-directory of
        it (facts.images), never the volume root with its lost+found."""
        persistence = self._party.persistence
        data = image_facts(image_module or module).data
        sub_path = data.volume_sub_path if data and data.first_start_needs_empty else None
        return kube.DataVolume(
            sub_path=sub_path,
            name=VOLUMES[module],
            size_key=size_key(self._args.config_path, module),
            mount_path=mount_path,
            size=volume_size(self._party.sizing, persistence.sizes.get(module)),  # type: ignore[arg-type]
            storage_class=persistence.storage_class,
            existing_claim=persistence.existing_claims.get(module),  # type: ignore[arg-type]
            persistent=persistence.enabled,
            **extra,  # type: ignore[arg-type]
        )

    def _module(self, spec: kube.ModuleSpec, image_module: str | None = None) -> kube.Module:
        """The module as its image needs it (facts.images): a non-root image runs as its own user and
        owns its volumes through fsGroup."""
        party = self._party
        facts = image_facts(image_module or spec.name)
        ownership = {"run_as_user": facts.runs_as_user, "run_as_group": facts.runs_as_group,
                     "fs_group": facts.volume_group} if facts.needs_volume_ownership else {}
        full = kube.ModuleSpec(
            **{
                **spec.__dict__,
                **ownership,
                "checksum_key": self._checksum_key,
                "sizing": party.sizing,
                "resources_override": self._party.resources_override(spec.name),
                "image_pull_secrets": tuple(party.image_pull_secrets),
                "retain_volumes": party.persistence.retain_on_destroy,
                "extra_labels": {PARTY_ID_LABEL: str(party.party_id)},
                "await_timeout_seconds": self._args.await_timeout_seconds,
                "resize_claims": self._args.resize_claims,
            }
        )
        return kube.Module(f"{self._name}-{spec.name}", full, self.namespace, self._instance,
                           opts=pulumi.ResourceOptions(parent=self, depends_on=[self._ns]))

    def _dns(self, service: str) -> str:
        return names.cluster_dns(service, self._party.resolved_namespace, self._party.cluster_domain)

    def _service_settings(self, mysql: MysqlSettings) -> PartyServiceSettings:
        party = self._party
        external_pulsar = party.pulsar.external
        pulsar = (
            PulsarSettings(host=external_pulsar.host, port=external_pulsar.port,
                           ssl_port=external_pulsar.ssl_port, mng_port=external_pulsar.mng_port)
            if external_pulsar
            else PulsarSettings(host=names.PULSAR_SERVICE, port=ports.PULSAR_BROKER, ssl_port=ports.PULSAR_BROKER_TLS,
                                mng_port=ports.PULSAR_WEB)
        )
        return PartyServiceSettings(
            party_id=party.party_id,
            fate_version=party.fate_version,
            fateflow_host=f"{names.FATEFLOW_SERVICE}-0.{self._dns(names.FATEFLOW_SERVICE)}",
            mysql=mysql,
            pulsar=pulsar,
            nginx=Endpoint(host=names.NGINX_SERVICE, http_port=ports.NGINX_HTTP, grpc_port=ports.NGINX_GRPC),
            spark_master=party.spark.external.master if party.spark.external else
            f"spark://{names.SPARK_MASTER_SERVICE}:{ports.SPARK_MASTER}",
            hdfs_namenode=party.hdfs.external.name_node if party.hdfs.external else
            f"hdfs://{names.NAMENODE_SERVICE}:{ports.HDFS_NAMENODE_RPC}",
            spark_nodes=party.spark.workers,
            # What each worker really offers (SPARK_WORKER_CORES, set from its CPU limit): the pool FATE Flow
            # schedules jobs from must not promise more, nor less than a default job needs (specs.party).
            spark_cores_per_node=spark_worker_cores(party.sizing, party.resources_override("spark-worker")),
        )

    # --- modules ---------------------------------------------------------------------------------

    def _add_mysql(self) -> tuple[MysqlSettings, pulumi.Input[str]]:
        party = self._party
        external = party.mysql.external
        if external is not None:
            if self._args.external_mysql_password is None:
                raise ValueError("external MySQL needs its password in the secret config key externalMysqlPassword")
            return (MysqlSettings(host=external.host, port=external.port, database=external.database,
                                  user=external.user, password=""), self._args.external_mysql_password)
        # Registered on every run, used only while the cluster holds no credentials of this party: a stack's
        # later runs read back the very values these generated, and a party restored on its kept volumes
        # must keep the passwords its data directory knows.
        secret_opts = pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"])
        generated = [random.RandomPassword(f"{self._name}-{purpose}", length=24, special=False,
                                           opts=secret_opts).result
                     for purpose in ("mysql-password", "mysql-root-password")]
        kept = self._args.kept_mysql_credentials
        credentials = pulumi.Output.secret(
            kept if kept is not None
            else pulumi.Output.all(*generated).apply(lambda pw: dict(zip(names.MYSQL_CREDENTIAL_KEYS, pw))))
        password = credentials.apply(lambda values: values[names.MYSQL_CREDENTIAL_KEYS[0]])
        settings = MysqlSettings(host=names.MYSQL_SERVICE, port=ports.MYSQL, database="fate_flow", user="fate",
                                 password="")
        self._module(kube.ModuleSpec(
            name="mysql",
            image=self._image("mysql"),
            ports={"mysql": ports.MYSQL},
            stateful=True,
            # The image reads passwords from files (*_FILE): no secret in the environment.
            env=[
                {"name": "MYSQL_DATABASE", "value": settings.database},
                {"name": "MYSQL_USER", "value": settings.user},
                *({"name": f"{key}_FILE", "value": f"{MYSQL_SECRETS_DIR}/{key}"}
                  for key in names.MYSQL_CREDENTIAL_KEYS),
            ],
            # Kept with the volumes (the data directory knows these passwords) and adopted when kept.
            config=[kube.ConfigFiles(
                name=names.MYSQL_CREDENTIALS_SECRET, mount_path=MYSQL_SECRETS_DIR, files=credentials, secret=True,
                encoded=True, retain_on_delete=self._retain,
                adopt=f"{party.resolved_namespace}/{names.MYSQL_CREDENTIALS_SECRET}" if kept is not None else None)],
            data=self._data("mysql", MYSQL_DATA_DIR),
            # The first start initialises with networking off (facts.images): port 3306 stays closed for
            # as long as that takes, so only a startup probe that asks the server itself may wait for it.
            # `mysqladmin ping` answers 0 as soon as a server responds, even with "access denied".
            startup=kube.exec_probe(MYSQLADMIN_PING, initial_delay=10, period=10, failures=60),
            liveness=kube.exec_probe(MYSQLADMIN_PING, initial_delay=0, period=10, failures=3),
            readiness=kube.tcp_probe(ports.MYSQL, initial_delay=0),
        ))
        return settings, password

    def _add_fateflow(self, service_conf: pulumi.Output[dict[str, str]]) -> None:
        party, paths = self._party, self._paths
        exchange = self._args.exchange
        route_table = pulsar_route_table_yaml(
            party.party_id,
            local=PulsarRoute(host=names.PULSAR_SERVICE, port=ports.PULSAR_BROKER, ssl_port=ports.PULSAR_BROKER_TLS),
            exchange=exchange.pulsar if exchange else None,
            fate_version=party.fate_version,
        )
        spark_conf = spark_defaults_conf(master=self._service.spark_master, driver_host=self._service.fateflow_host)
        self._module(kube.ModuleSpec(
            name="fateflow",
            image=self._image("fateflow"),
            ports={"grpc": ports.FATEFLOW_GRPC, "http": ports.FATEFLOW_HTTP},
            stateful=True,
            headless_service=True,
            env=[{"name": key, "value": value} for key, value in paths.env.items()],
            config=[
                kube.ConfigFiles.for_file("fateflow-service-conf", paths.service_conf, service_conf, secret=True),
                kube.ConfigFiles.for_file("pulsar-route-table", paths.pulsar_route_table, route_table),
                kube.ConfigFiles.for_file("spark-defaults", paths.spark_defaults, spark_conf),
            ],
            data=self._data("fateflow", paths.fateflow_data_dir,
                            sub_paths=dict(paths.fateflow_data_sub_paths)),
            **kube.tcp_checks(ports.FATEFLOW_HTTP),
        ))
        # One stable address for FATE Flow (the headless Service above names the pod, for FATE Flow itself).
        public_service(
            f"{self._name}-fateflow-client", service_name=names.FATEFLOW_CLIENT_SERVICE, module="fateflow",
            instance=self._instance, namespace=self.namespace,
            ports={"grpc": ports.FATEFLOW_GRPC, "http": ports.FATEFLOW_HTTP}, exposure_type="ClusterIP",
            annotations=None, opts=pulumi.ResourceOptions(parent=self, depends_on=[self._ns]),
        )

    def _add_nginx(self) -> None:
        party, paths = self._party, self._paths
        exchange = self._args.exchange
        fateflow = Endpoint(host=names.FATEFLOW_CLIENT_SERVICE, http_port=ports.FATEFLOW_HTTP,
                            grpc_port=ports.FATEFLOW_GRPC)
        # FATE's balancer takes IP addresses only: named hosts are reached through relays in nginx.conf,
        # whose upstreams nginx resolves at start (components.fateconf.nginx).
        route_table, relays = relay_names(party_nginx_route_table_yaml(
            party.party_id,
            nginx=Endpoint(host=names.NGINX_INTERNAL_SERVICE, http_port=ports.NGINX_HTTP, grpc_port=ports.NGINX_GRPC),
            fateflow=fateflow,
            exchange=exchange.nginx if exchange else None,
        ))
        nginx_ports = {"http": ports.NGINX_HTTP, "grpc": ports.NGINX_GRPC}
        self._module(kube.ModuleSpec(
            name="nginx",
            image=self._image("nginx"),
            ports=nginx_ports,
            config=[kube.ConfigFiles.for_file("nginx-route-table", paths.nginx_route_table, route_table),
                    kube.ConfigFiles.for_file("nginx-conf", paths.nginx_conf, nginx_conf(fateflow, relays))],
            service_name=names.NGINX_INTERNAL_SERVICE,
            readiness=kube.tcp_probe(ports.NGINX_HTTP, initial_delay=5),
            liveness=kube.http_probe("/test", ports.NGINX_HEALTH, initial_delay=20),
        ))
        exposure = party.exposure
        nginx = public_service(
            f"{self._name}-nginx-public", service_name=names.NGINX_SERVICE, module="nginx", instance=self._instance,
            namespace=self.namespace, ports=nginx_ports, exposure_type=exposure.type,
            annotations=exposure.load_balancer_annotations, opts=self._child,
            node_ports={"http": exposure.node_ports.nginx_http, "grpc": exposure.node_ports.nginx_grpc},
        )
        node_port = exposure.type == "NodePort"
        self.nginx_host = service_address(nginx, exposure.type, exposure.node_address, self._dns(names.NGINX_SERVICE))
        self.nginx_http_port = service_port(nginx, "http", node_port)
        self.nginx_grpc_port = service_port(nginx, "grpc", node_port)

    def _add_pulsar(self) -> None:
        party = self._party
        exposure = party.exposure
        node_port = exposure.type == "NodePort"
        if party.pulsar.external is not None:
            self.pulsar_tls_host = pulumi.Output.from_input(party.pulsar.external.host)
            self.pulsar_tls_port = pulumi.Output.from_input(party.pulsar.external.ssl_port)
            return
        certificate = self._args.pulsar_certificate
        tls = certificate is not None
        exchange = self._args.exchange
        # Peers reaching the broker through the exchange are answered with its federation name.
        standalone_conf = pulsar_standalone_conf(
            party.party_id, tls=tls, service_host=self._service.pulsar.host,
            federation_domain=exchange.pulsar.domain if exchange else None)
        config = [kube.ConfigFiles.for_file("pulsar-config", self._paths.pulsar_standalone_conf, standalone_conf)]
        if isinstance(certificate, str):
            config.append(kube.ConfigFiles(name=certificate, mount_path=PULSAR_CERT_DIR, secret=True, files={},
                                           managed=False))
        elif certificate is not None:
            config.append(kube.ConfigFiles(
                name=names.PULSAR_CERT_SECRET, mount_path=PULSAR_CERT_DIR, secret=True,
                files=pulumi.Output.secret(pulumi.Output.all(
                    certificate.certificate_pem, certificate.private_key_pkcs8_pem, certificate.ca_certificate_pem,
                ).apply(lambda pems: {"broker.cert.pem": pems[0], "broker.key-pk8.pem": pems[1],
                                      "ca.cert.pem": pems[2]})),
            ))
        web_port = ports.PULSAR_WEB_TLS if tls else ports.PULSAR_WEB
        self._module(kube.ModuleSpec(
            name="pulsar",
            image=self._image("pulsar"),
            ports={"broker": ports.PULSAR_BROKER, "broker-tls": ports.PULSAR_BROKER_TLS,
                   "web": ports.PULSAR_WEB, "web-tls": ports.PULSAR_WEB_TLS},
            stateful=True,
            command=["bin/pulsar", "standalone", "-nss"],
            config=config,
            data=self._data("pulsar", PULSAR_DATA_DIR),
            **kube.tcp_checks(web_port, ready_after=20, live_after=60),
        ))
        public = public_service(
            f"{self._name}-pulsar-public", service_name=names.PULSAR_PUBLIC_SERVICE, module="pulsar",
            instance=self._instance, namespace=self.namespace, ports={"tls-port": ports.PULSAR_BROKER_TLS},
            exposure_type=exposure.type, annotations=exposure.load_balancer_annotations, opts=self._child,
            node_ports={"tls-port": exposure.node_ports.pulsar_tls},
        )
        self.pulsar_tls_host = service_address(public, exposure.type, exposure.node_address,
                                               self._dns(names.PULSAR_PUBLIC_SERVICE))
        self.pulsar_tls_port = service_port(public, "tls-port", node_port)

    def _add_fateboard(self, password: pulumi.Output[str]) -> None:
        party = self._party
        properties = pulumi.Output.secret(password).apply(lambda pw: {
            "application.properties": fateboard_application_properties(
                fateflow_url=f"http://{names.FATEFLOW_SERVICE}:{ports.FATEFLOW_HTTP}",
                username=party.fateboard_username,
                password=pw)
        })
        self._module(kube.ModuleSpec(
            name="fateboard",
            image=self._image("fateboard"),
            ports={"http": ports.FATEBOARD_HTTP},
            config=[kube.ConfigFiles.for_file("fateboard-config", self._paths.fateboard_properties, properties,
                                              secret=True)],
            **kube.tcp_checks(ports.FATEBOARD_HTTP),
        ))
        self._ingress(names.FATEBOARD_SERVICE, ports.FATEBOARD_HTTP)

    def _add_client(self) -> pulumi.Output[str]:
        """The notebook with a generated password; the image's own command has an empty token and password
        (facts.images), so the command is replaced (same steps, Jupyter's hashed password from a Secret)."""
        party = self._party
        password = random.RandomPassword(
            f"{self._name}-notebook-password", length=24, special=False,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"])).result
        hashed = pulumi.Output.secret(password).apply(lambda pw: {NOTEBOOK_PASSWORD_KEY: jupyter_password_hash(pw)})
        self._module(kube.ModuleSpec(
            name="client",
            image=self._image("client"),
            ports={"notebook": ports.NOTEBOOK_HTTP},
            stateful=True,
            service_name=names.NOTEBOOK_SERVICE,
            command=["/bin/bash", "-c", NOTEBOOK_COMMAND],
            env=[
                {"name": "partyId", "value": str(party.party_id)},
                {"name": "FATE_FLOW_IP", "value": names.FATEFLOW_SERVICE},
                {"name": "FATE_FLOW_PORT", "value": str(ports.FATEFLOW_HTTP)},
                {"name": "NOTEBOOK_HASHED_PASSWORD", "value_from": {"secret_key_ref": {
                    "name": NOTEBOOK_PASSWORD_SECRET, "key": NOTEBOOK_PASSWORD_KEY}}},
            ],
            config=[kube.ConfigFiles(name=NOTEBOOK_PASSWORD_SECRET, mount_path="/run/secrets/notebook",
                                     files=hashed, secret=True)],
            data=self._data("client", CLIENT_PERSISTENCE_DIR),
            **kube.tcp_checks(ports.NOTEBOOK_HTTP),
        ))
        self._ingress(names.NOTEBOOK_SERVICE, ports.NOTEBOOK_HTTP)
        return pulumi.Output.secret(password)

    def _ingress(self, service: str, port: int) -> None:
        ingress = self._party.ingress
        if not ingress.enabled:
            return
        host = f"{self._party.party_id}.{service}.{ingress.domain}"
        k8s.networking.v1.Ingress(
            f"{self._name}-{service}-ingress",
            metadata={"name": service, "namespace": self.namespace, "labels": labels(service, self._instance)},
            spec={
                "ingress_class_name": ingress.class_name,
                "rules": [{"host": host, "http": {"paths": [{
                    "path": "/", "path_type": "Prefix",
                    "backend": {"service": {"name": service, "port": {"number": port}}},
                }]}}],
                "tls": [{"hosts": [host], "secret_name": ingress.tls_secret}] if ingress.tls_secret else [],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._ns]),
        )

    def _add_spark(self) -> None:
        party = self._party
        if party.spark.external is not None:
            return
        self._module(kube.ModuleSpec(
            name="spark-master",
            image=self._image("spark-master"),
            ports={"master": ports.SPARK_MASTER, "rest": ports.SPARK_MASTER_REST, "ui": ports.SPARK_MASTER_UI},
            **kube.tcp_checks(ports.SPARK_MASTER),
        ))
        self._module(kube.ModuleSpec(
            name="spark-worker",
            image=self._image("spark-worker"),
            ports={"ui": ports.SPARK_WORKER_UI},
            replicas=party.spark.workers,
            env=[{"name": "SPARK_WORKER_CORES", "value": str(self._service.spark_cores_per_node)}],
            # FATE's code in the executors reads a service_conf.yaml, but not the database: as KubeFATE does,
            # the workers get one without it (a ConfigMap), never FATE Flow's Secret with the MySQL password.
            config=[kube.ConfigFiles.for_file("spark-worker-config", self._paths.spark_worker_service_conf,
                                              spark_worker_service_conf_yaml(self._service))],
            **kube.tcp_checks(ports.SPARK_WORKER_UI),
        ))

    def _add_hdfs(self) -> None:
        party = self._party
        if party.hdfs.external is not None:
            return
        default_fs = [{"name": "CORE_CONF_fs_defaultFS", "value": self._service.hdfs_namenode}]
        self._module(kube.ModuleSpec(
            name="namenode",
            image=self._image("hadoop-namenode"),
            ports={"rpc": ports.HDFS_NAMENODE_RPC, "http": ports.HDFS_NAMENODE_HTTP},
            stateful=True,
            env=[*default_fs, {"name": "CLUSTER_NAME", "value": f"fate-{party.party_id}"}],
            data=self._data("namenode", HDFS_NAME_DIR, image_module="hadoop-namenode"),
            **kube.tcp_checks(ports.HDFS_NAMENODE_RPC),
        ), image_module="hadoop-namenode")
        self._module(kube.ModuleSpec(
            name="datanode",
            image=self._image("hadoop-datanode"),
            ports={"http": ports.HDFS_DATANODE_HTTP},
            stateful=True,
            headless_service=True,
            replicas=party.hdfs.datanodes,
            env=[*default_fs,
                 {"name": "SERVICE_PRECONDITION", "value": f"{names.NAMENODE_SERVICE}:{ports.HDFS_NAMENODE_HTTP}"}],
            data=self._data("datanode", HDFS_DATA_DIR, image_module="hadoop-datanode"),
            **kube.tcp_checks(ports.HDFS_DATANODE_HTTP),
        ), image_module="hadoop-datanode")
