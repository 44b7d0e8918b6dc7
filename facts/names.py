"""Names other objects, other stacks and other parties rely on: Services, Secrets, DNS names.

A Service name is dialled by other modules (FATE Flow finds `pulsar`, the exchange finds a party's
`nginx` and `pulsar-public-tls`), so each is written once here and read everywhere else.
"""

from __future__ import annotations

CLUSTER_DOMAIN = "cluster.local"
"""The cluster DNS domain Kubernetes uses by default (kubelet `clusterDomain`)."""

# --- a party's Services ---
FATEFLOW_SERVICE = "fateflow"
"""FATE Flow's headless Service: the stable pod name (fateflow-0.fateflow...) FATE Flow advertises."""
FATEFLOW_CLIENT_SERVICE = "fateflow-client"
"""FATE Flow's ClusterIP Service (KubeFATE's name): one stable address nginx routes to, across restarts."""
MYSQL_SERVICE = "mysql"
PULSAR_SERVICE = "pulsar"
NGINX_SERVICE = "nginx"
"""The party's public nginx (LoadBalancer / NodePort / ClusterIP in one cluster)."""
NGINX_INTERNAL_SERVICE = "nginx-internal"
"""nginx's in-cluster Service, the one nginx's own route table points at."""
PULSAR_PUBLIC_SERVICE = "pulsar-public-tls"
"""The party's public Pulsar TLS Service the exchange tunnels to."""
NOTEBOOK_SERVICE = "notebook"
FATEBOARD_SERVICE = "fateboard"
SPARK_MASTER_SERVICE = "spark-master"
NAMENODE_SERVICE = "namenode"
PULSAR_CERT_SECRET = "pulsar-cert"
"""The broker's certificate, key and CA (FATE's layout) when the exchange signed this party's CSR."""
MYSQL_CREDENTIALS_SECRET = "mysql-credentials"
"""The party MySQL's user and root passwords (MYSQL_CREDENTIAL_KEYS): the ones its data directory knows, kept
with the volumes on destroy and read back by the stack that comes back to them (stacks/kept_secrets.py)."""
MYSQL_CREDENTIAL_KEYS = ("MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD")
"""The keys of MYSQL_CREDENTIALS_SECRET, also the MySQL image's `<key>_FILE` variables."""

# --- the exchange's Services ---
TRAFFIC_SERVER_SERVICE = "traffic-server"
TRAFFIC_SERVER_INTERNAL_SERVICE = "traffic-server-internal"
EXCHANGE_NGINX_SERVICE = "nginx"
TRAFFIC_SERVER_CERT_SECRET = "traffic-server-cert"
PARTY_ROUTE_SERVICE_PREFIX = "party-"
"""The exchange namespace's Service for each routed party (`party-<id>`): the name Traffic Server's party
rule dials (components.fateconf.ats.PartyRule). No other Service there may start with it."""

# --- the optional KubeFATE service ---
KUBEFATE_SERVICE = "kubefate"
MARIADB_SERVICE = "mariadb"

NETWORK_POLICY = "fate-federation"


def cluster_dns(service: str, namespace: str, domain: str = CLUSTER_DOMAIN) -> str:
    """A Service's in-cluster DNS name."""
    return f"{service}.{namespace}.svc.{domain}"


def party_route_service(party_id: int) -> str:
    return f"{PARTY_ROUTE_SERVICE_PREFIX}{party_id}"


def party_fqdn(party_id: int, domain: str) -> str:
    """The name a party's broker certificate carries and the exchange routes by (SNI)."""
    return f"{party_id}.{domain}"


def proxy_fqdn(domain: str) -> str:
    """The name of the exchange's proxy certificate."""
    return f"proxy.{domain}"


def default_party_namespace(party_id: int) -> str:
    return f"fate-{party_id}"
