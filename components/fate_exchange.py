"""FateExchange: the federation's exchange, Traffic Server (SNI tunnel on 443) and nginx (FATE Flow).

Replaces KubeFATE's `fate-exchange` chart and FedLCM's route-table rebuild: the routes come from
FederationRoutes, and a route change reaches the running servers in place (ConfigMaps mounted as
directories, reloaded by the servers themselves) instead of by deleting pods.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import ats_runtime, kube
from components.exposure import namespace_network_policy, public_service, service_address, service_port
from components.fateconf import ats
from components.fateconf.nginx import nginx_conf, relay_names
from components.fateconf.routes import exchange_nginx_route_table_yaml
from components.fateconf.settings import Endpoint
from components.federation_pki import FederationCa, proxy_key, sign
from components.federation_routes import FederationRoutes
from facts import ports
from facts.labels import exchange_instance, labels, namespace_labels
from facts.names import (
    EXCHANGE_NGINX_SERVICE,
    NGINX_INTERNAL_SERVICE,
    TRAFFIC_SERVER_CERT_SECRET,
    TRAFFIC_SERVER_INTERNAL_SERVICE,
    TRAFFIC_SERVER_SERVICE,
    cluster_dns,
)
from facts.paths import config_paths
from facts.versions import image
from specs.exchange import ExchangeConfig


@dataclass(frozen=True)
class FateExchangeArgs:
    config: ExchangeConfig
    routes: FederationRoutes
    ca: FederationCa | None
    """None in bring-your-own-PKI mode: config.pki.existingSecret holds the proxy certificate and CA."""
    await_timeout_seconds: int | None = None
    """The stack's `kubernetes.awaitTimeoutSeconds`, for every workload (components.kube.Module)."""


class FateExchange(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    nginx_host: pulumi.Output[str | None]
    nginx_http_port: pulumi.Output[int | None]
    nginx_grpc_port: pulumi.Output[int | None]
    traffic_server_host: pulumi.Output[str | None]
    traffic_server_port: pulumi.Output[int | None]
    existing_ca_cert_pem: pulumi.Output[str | None]

    def __init__(self, name: str, args: FateExchangeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fate:index:FateExchange", name, None, opts)
        config = args.config
        instance = exchange_instance(config.party_id)
        child = pulumi.ResourceOptions(parent=self)
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": config.namespace, "labels": namespace_labels(instance)},
            opts=child,
        )
        self.namespace = ns.metadata.name
        module_opts = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        namespace_network_policy(f"{name}-network-policy", namespace=self.namespace, instance=instance,
                                      openings={"traffic-server": [ports.TRAFFIC_SERVER_TLS],
                                                "nginx": [ports.NGINX_HTTP, ports.NGINX_GRPC]},
                                      opts=module_opts)
        exposure = config.exposure
        node_port = exposure.type == "NodePort"

        cert_secret = self._proxy_certificate(name, args, ns)
        # One static rule routes every party by name; each party is a Service here (docs/exchange-reload.md).
        party_rule = ats.PartyRule(config.domain, config.namespace, config.cluster_domain)
        ats_runtime.party_route_services(f"{name}-route", args.routes.sni_routes, party_rule, instance, module_opts)
        key = kube.checksum_key(name, self)
        floating = config.traffic_server_image.endswith(":latest")
        traffic_server = kube.ModuleSpec(
            checksum_key=key,
            # The only tag published sources name for this image (facts.versions.TRAFFIC_SERVER_IMAGE).
            workload_annotations={"checkov.io/skip1": "CKV_K8S_14=federatedai/trafficserver has no citable tag "
                                  "but latest; pin it by digest with exchange.trafficServerImage"} if floating else {},
            name="traffic-server",
            image=config.traffic_server_image,
            ports={"tls": ports.TRAFFIC_SERVER_TLS},
            image_pull_secrets=tuple(config.image_pull_secrets),
            service_name=TRAFFIC_SERVER_INTERNAL_SERVICE,
            await_timeout_seconds=args.await_timeout_seconds,
            **ats_runtime.module_settings(args.routes.sni_routes, cert_secret, party_rule),
        )
        kube.Module(f"{name}-traffic-server", traffic_server, self.namespace, instance, opts=module_opts)

        paths = config_paths(config.nginx_fate_version)
        # Parties named by a host name (a load balancer's hostname, a Service in one cluster) are reached
        # through relays in nginx.conf: FATE's balancer takes IP addresses only (components.fateconf.nginx).
        route_table, relays = relay_names(exchange_nginx_route_table_yaml(
            Endpoint(host=NGINX_INTERNAL_SERVICE, http_port=ports.NGINX_HTTP, grpc_port=ports.NGINX_GRPC),
            args.routes.nginx_routes,
        ))
        nginx_ports = {"http": ports.NGINX_HTTP, "grpc": ports.NGINX_GRPC}
        kube.Module(f"{name}-nginx", kube.ModuleSpec(
            name="nginx",
            image=image("nginx", config.nginx_fate_version, registry=config.registry),
            ports=nginx_ports,
            image_pull_secrets=tuple(config.image_pull_secrets),
            service_name=NGINX_INTERNAL_SERVICE,
            checksum_key=key,
            await_timeout_seconds=args.await_timeout_seconds,
            config=[kube.ConfigFiles.for_file("nginx-route-table", paths.nginx_route_table, route_table),
                    kube.ConfigFiles.for_file("nginx-conf", paths.nginx_conf, nginx_conf(None, relays))],
            readiness=kube.tcp_probe(ports.NGINX_HTTP, initial_delay=5),
            liveness=kube.http_probe("/test", ports.NGINX_HEALTH, initial_delay=20),
        ), self.namespace, instance, opts=module_opts)

        public = {}
        fixed = exposure.node_ports
        for service, module, service_ports, node_ports in (
            (TRAFFIC_SERVER_SERVICE, "traffic-server", {"tls": ports.TRAFFIC_SERVER_TLS},
             {"tls": fixed.traffic_server_tls}),
            (EXCHANGE_NGINX_SERVICE, "nginx", nginx_ports, {"http": fixed.nginx_http, "grpc": fixed.nginx_grpc}),
        ):
            public[service] = public_service(
                f"{name}-{service}-public", service_name=service, module=module, instance=instance,
                namespace=self.namespace, ports=service_ports, exposure_type=exposure.type,
                annotations=exposure.load_balancer_annotations, opts=module_opts, node_ports=node_ports,
            )
        dns = {s: cluster_dns(s, config.namespace, config.cluster_domain) for s in public}
        self.traffic_server_host = service_address(public[TRAFFIC_SERVER_SERVICE], exposure.type,
                                                   exposure.node_address, dns[TRAFFIC_SERVER_SERVICE])
        self.traffic_server_port = service_port(public[TRAFFIC_SERVER_SERVICE], "tls", node_port)
        self.nginx_host = service_address(public[EXCHANGE_NGINX_SERVICE], exposure.type,
                                          exposure.node_address, dns[EXCHANGE_NGINX_SERVICE])
        self.nginx_http_port = service_port(public[EXCHANGE_NGINX_SERVICE], "http", node_port)
        self.nginx_grpc_port = service_port(public[EXCHANGE_NGINX_SERVICE], "grpc", node_port)
        self.register_outputs({
            "namespace": self.namespace,
            "trafficServerHost": self.traffic_server_host,
            "nginxHost": self.nginx_host,
        })

    def _proxy_certificate(self, name: str, args: FateExchangeArgs, ns: k8s.core.v1.Namespace) -> str:
        """The proxy certificate (CN proxy.<domain>) in the `traffic-server-cert` Secret; its name."""
        config = args.config
        self.existing_ca_cert_pem = pulumi.Output.from_input(None)
        if args.ca is None:
            assert config.pki.existing_secret is not None
            existing = k8s.core.v1.Secret.get(
                f"{name}-existing-pki", f"{config.namespace}/{config.pki.existing_secret}",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
            )
            self.existing_ca_cert_pem = existing.data.apply(
                lambda data: _decode((data or {}).get("ca.cert.pem")))
            return config.pki.existing_secret
        child = pulumi.ResourceOptions(parent=self)
        key = proxy_key(f"{name}-proxy", config.domain, child)
        assert key.csr_pem is not None
        cert = sign(f"{name}-proxy-cert", args.ca, key.csr_pem, config.pki.certificate_validity_hours, child)
        k8s.core.v1.Secret(
            f"{name}-proxy-cert-secret",
            metadata={"name": TRAFFIC_SERVER_CERT_SECRET, "namespace": config.namespace,
                      "labels": labels("traffic-server", exchange_instance(config.party_id))},
            type="Opaque",
            string_data=pulumi.Output.secret(pulumi.Output.all(cert, key.private_key_pem, args.ca.certificate_pem)
                                             .apply(lambda pems: {"proxy.cert.pem": pems[0], "proxy.key.pem": pems[1],
                                                                  "ca.cert.pem": pems[2]})),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )
        return TRAFFIC_SERVER_CERT_SECRET


def _decode(value: str | None) -> str | None:
    import base64

    return base64.b64decode(value).decode() if value else None
