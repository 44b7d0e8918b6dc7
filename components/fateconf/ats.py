"""Apache Traffic Server as the federation's SNI router: records.config, sni.yaml, ssl_multicert.config,
the party Services its one static rule reaches, and the entry script that reloads sni.yaml in place.

Each party's Pulsar TLS stream is routed by the name it asks for (`<partyId>.<domain>`) with a
`tunnel_route`: a blind tunnel, so TLS is not terminated and the party's broker presents its own
certificate end to end. ONE static rule (`PartyRule`) sends `<digits>.<domain>` to the Service
`party-<digits>` in the exchange namespace; each routed party is such a Service (`PartyService`), so a
party added or removed is a DNS answer that changes, live within 1 s without any reload
(docs/exchange-reload.md). Only a party the rule cannot reach through a Service keeps a `tunnel_route`
of its own, applied with `traffic_ctl config reload` under traffic_manager (about 5 s).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from facts import ports
from facts.names import PARTY_ROUTE_SERVICE_PREFIX, cluster_dns, party_route_service
from specs.values import MAX_PARTY_ID

TRAFFIC_SERVER_HOME = "/opt/trafficserver"
CONFIG_DIR = f"{TRAFFIC_SERVER_HOME}/etc/trafficserver"
"""Only a fallback: the entry script installs the files where the image's own traffic_layout says its
sysconfdir is (facts.images: the image has no public build files, and KubeFATE's chart mounts config both
under /etc/trafficserver and under this directory)."""
BIN_DIR = f"{TRAFFIC_SERVER_HOME}/bin"
"""Where KubeFATE's chart runs traffic_manager from; the entry script falls back to the PATH."""
STAGED_CONFIG_DIR = "/etc/fate-exchange/config"
STAGED_ROUTES_DIR = "/etc/fate-exchange/routes"
CERT_DIR = "/opt/proxy"
SNI_FILENAME = "sni.yaml"
TLS_PORT = ports.TRAFFIC_SERVER_TLS
CERT_FILE = "proxy.cert.pem"
KEY_FILE = "proxy.key.pem"
CA_FILE = "ca.cert.pem"
RELOAD_POLL_SECONDS = 0.2
"""How often the entry script looks at the mounted sni.yaml (a cksum of a small file). Traffic Server's
own share of a reload is a fixed cycle: traffic_manager pushes changed records to traffic_server every
5 s (REC_REMOTE_SYNC_INTERVAL_MS, compiled in, ATS 9.2), so a route is live 0-5 s after
`traffic_ctl config reload`, whatever records say; see docs/exchange-reload.md."""
PARTY_PORT_NAME = "tunnel"
"""The name of the port of every party Service. Traffic Server 9.2 with `proxy.config.srv_enabled` asks
for the SRV record `_tunnel._tcp.<host>` before it dials a blind tunnel (measured on the real binary),
and cluster DNS answers `_<port name>._tcp.<service>...` with the Service's port: so each party keeps
its own port behind one rule."""
DEFAULT_PARTY_PORT = ports.PULSAR_BROKER_TLS
"""The port in the rule, dialled when no SRV answer comes (an ExternalName Service)."""
FATE_CONNECT_PORTS = "443 6650-6700 30000-33000"
"""The ports KubeFATE's exchange admits; we add every routed backend port to them."""

EMPTY_FILES = ("remap.config", "plugin.config", "storage.config", "cache.config", "parent.config",
               "volume.config", "hosting.config", "splitdns.config")

_FQDN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")


@dataclass(frozen=True)
class SniRoute:
    """Connections asking for `fqdn` are tunnelled, still encrypted, to `tunnel_host:tunnel_port`."""

    fqdn: str
    tunnel_host: str
    tunnel_port: int

    def __post_init__(self) -> None:
        if not _FQDN.match(self.fqdn):
            raise ValueError(f"SNI route name {self.fqdn!r} is not a DNS name like 9999.fate.example.org")
        if not self.tunnel_host or any(c.isspace() or c == ":" for c in self.tunnel_host):
            raise ValueError(f"SNI route {self.fqdn}: tunnel host {self.tunnel_host!r} is not a host name or IPv4")
        if isinstance(self.tunnel_port, bool) or not 1 <= self.tunnel_port <= 65535:
            raise ValueError(f"SNI route {self.fqdn}: port {self.tunnel_port!r} is not 1..65535")


@dataclass(frozen=True)
class PartyRule:
    """The one static route: `<party id>.<domain>` -> `party-<id>.<namespace>.svc.<cluster domain>`.

    Traffic Server 9.2 turns an sni.yaml fqdn into a regular expression by escaping only `.` and
    widening `*` (SSLSNIConfig.cc, set_glob_name), so the rule captures digits only, anchored at both
    ends: a name with any other character, an extra label or a suffix matches no rule and the handshake
    is refused. The captured party id can only ever name a Service `party-<digits>` of the exchange
    namespace, which holds no other Service of that prefix: a client cannot steer a tunnel to any other
    Service of the cluster (kube-system's included) nor to another port.
    """

    domain: str
    namespace: str
    cluster_domain: str

    def __post_init__(self) -> None:
        for what, value in (("domain", self.domain), ("cluster domain", self.cluster_domain)):
            if not _FQDN.match(value):
                raise ValueError(f"party rule: {what} {value!r} is not a DNS name like fate.example.org")
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", self.namespace):
            raise ValueError(f"party rule: namespace {self.namespace!r} is not a DNS label")

    @property
    def fqdn(self) -> str:
        return f"([0-9]{{1,{len(str(MAX_PARTY_ID))}}}).{self.domain}$"

    @property
    def tunnel_route(self) -> str:
        return f"{cluster_dns(PARTY_ROUTE_SERVICE_PREFIX + '$1', self.namespace, self.cluster_domain)}:{DEFAULT_PARTY_PORT}"

    def host(self, party_id: int) -> str:
        """The name the rule dials for this party (the party Service's DNS name)."""
        return cluster_dns(party_route_service(party_id), self.namespace, self.cluster_domain)


@dataclass(frozen=True)
class PartyService:
    """A party as a Service of the exchange namespace, which makes the rule reach it.

    An IP address becomes a Service without selector plus an EndpointSlice (port = the party's port, so
    the SRV answer carries it); a host name becomes an ExternalName Service (a CNAME, no port: the rule's
    DEFAULT_PARTY_PORT)."""

    party_id: int
    address: str
    port: int

    @property
    def name(self) -> str:
        return party_route_service(self.party_id)

    @property
    def address_type(self) -> str | None:
        """`IPv4`/`IPv6` (EndpointSlice addressType), or None for a host name (ExternalName)."""
        try:
            return f"IPv{ipaddress.ip_address(self.address).version}"
        except ValueError:
            return None


def party_services(routes: Sequence[SniRoute], domain: str) -> tuple[list[PartyService], list[SniRoute]]:
    """Split the routes: parties the rule reaches through a Service, and parties that keep a tunnel_route
    of their own (a host name with a port other than DEFAULT_PARTY_PORT: an ExternalName carries no
    port). Both lists sorted by name."""
    services: list[PartyService] = []
    own_routes: list[SniRoute] = []
    for route in _sorted_unique(routes):
        label, _, rest = route.fqdn.partition(".")
        service = PartyService(int(label), route.tunnel_host, route.tunnel_port) \
            if rest == domain and label.isdigit() else None
        if service is None or (service.address_type is None and route.tunnel_port != DEFAULT_PARTY_PORT):
            own_routes.append(route)
        else:
            services.append(service)
    return services, own_routes


def _sorted_unique(routes: Sequence[SniRoute]) -> list[SniRoute]:
    seen: dict[str, SniRoute] = {}
    for route in routes:
        if route.fqdn in seen:
            raise ValueError(f"two SNI routes for {route.fqdn}: each party name routes to one backend")
        seen[route.fqdn] = route
    return [seen[name] for name in sorted(seen)]


def sni_yaml(routes: Sequence[SniRoute], rule: PartyRule | None = None) -> str:
    """sni.yaml: a `tunnel_route` for each route given, then the party rule (Traffic Server takes the
    first entry that matches). No route and no rule is a valid, empty route list."""
    entries = _sorted_unique(routes)
    if not entries and rule is None:
        return "sni: []\n"
    body = "".join(
        f"- fqdn: {r.fqdn}\n  tunnel_route: {r.tunnel_host}:{r.tunnel_port}\n" for r in entries
    )
    if rule is not None:
        body += f"- fqdn: '{rule.fqdn}'\n  tunnel_route: {rule.tunnel_route}\n"
    return "sni:\n" + body


def connect_ports(routes: Sequence[SniRoute]) -> str:
    """CONNECT / tunnel destinations ATS admits: FATE's usual ranges plus every routed port."""
    extra = sorted({r.tunnel_port for r in routes} - _covered_ports())
    return " ".join([FATE_CONNECT_PORTS, *(str(p) for p in extra)])


def _covered_ports() -> set[int]:
    covered: set[int] = set()
    for part in FATE_CONNECT_PORTS.split():
        low, _, high = part.partition("-")
        covered.update(range(int(low), int(high or low) + 1))
    return covered


def records_config(*, tls_port: int = TLS_PORT, connect_port_list: str = FATE_CONNECT_PORTS,
                   cert_dir: str = CERT_DIR) -> str:
    """records.config for a tunnel-only Traffic Server (no cache, no reverse proxy)."""
    if not 1 <= tls_port <= 65535:
        raise ValueError(f"tls_port {tls_port} is not 1..65535")
    records = [
        ("proxy.config.http.server_ports", "STRING", f"{tls_port}:ssl"),
        ("proxy.config.http.connect_ports", "STRING", connect_port_list),
        ("proxy.config.http.cache.http", "INT", "0"),
        ("proxy.config.reverse_proxy.enabled", "INT", "0"),
        ("proxy.config.url_remap.remap_required", "INT", "0"),
        ("proxy.config.url_remap.pristine_host_hdr", "INT", "0"),
        ("proxy.config.http.response_server_enabled", "INT", "0"),
        ("proxy.config.ssl.server.cert.path", "STRING", cert_dir),
        ("proxy.config.ssl.server.private_key.path", "STRING", cert_dir),
        ("proxy.config.ssl.CA.cert.path", "STRING", cert_dir),
        ("proxy.config.ssl.CA.cert.filename", "STRING", CA_FILE),
        ("proxy.config.ssl.servername.filename", "STRING", SNI_FILENAME),
        ("proxy.config.config_update_interval_ms", "INT", "200"),
        ("proxy.config.crash_log_helper", "STRING", "NULL"),
        ("proxy.config.log.logging_enabled", "INT", "0"),
    ]
    return "".join(f"CONFIG {name} {kind} {value}\n" for name, kind, value in records) + _DNS_RECORDS


_DNS_RECORDS = """\
# Parties are names: the party rule dials `party-<id>.<exchange namespace>.svc.<cluster domain>`, so a party
# added or removed is a DNS answer that changes (docs/exchange-reload.md). Ask SRV first (the party's port);
# never expand a name with the pod's search list; keep an answer 1 s at most (the least Traffic Server 9.2
# keeps one: HostDB clamps TTLs to >= 1 s, counted in whole seconds) so a removed party is refused and a new
# one reached within 1 s; keep no failed lookup (fail.timeout 0: a name not there yet is asked again on the
# next connection) and never serve an expired answer.
CONFIG proxy.config.srv_enabled INT 1
CONFIG proxy.config.dns.search_default_domains INT 0
CONFIG proxy.config.hostdb.ttl_mode INT 1
CONFIG proxy.config.hostdb.timeout INT 1
CONFIG proxy.config.hostdb.fail.timeout INT 0
CONFIG proxy.config.hostdb.serve_stale_for INT 0
"""


def ssl_multicert_config(cert_name: str = CERT_FILE, key_name: str = KEY_FILE) -> str:
    """The proxy's own certificate (CN proxy.<domain>), presented only to clients asking for no party."""
    return f"dest_ip=* ssl_cert_name={cert_name} ssl_key_name={key_name}\n"


def ip_allow_yaml() -> str:
    return (
        "ip_allow:\n"
        "- apply: in\n  ip_addrs: 0.0.0.0/0\n  action: allow\n"
        "- apply: in\n  ip_addrs: ::/0\n  action: allow\n"
    )


def traffic_server_files(routes: Sequence[SniRoute], *, rule: PartyRule | None = None, tls_port: int = TLS_PORT,
                         cert_dir: str = CERT_DIR) -> dict[str, str]:
    """Every file the exchange's Traffic Server reads, filename -> content. With a rule, sni.yaml holds
    it plus only the routes the rule cannot reach (party_services); without, one route per party."""
    own_routes = party_services(routes, rule.domain)[1] if rule is not None else list(routes)
    files = {
        "records.config": records_config(tls_port=tls_port, connect_port_list=connect_ports(routes),
                                         cert_dir=cert_dir),
        "ssl_multicert.config": ssl_multicert_config(),
        "ip_allow.yaml": ip_allow_yaml(),
        "logging.yaml": "logging: {}\n",
        "strategies.yaml": "",
        SNI_FILENAME: sni_yaml(own_routes, rule),
    }
    files.update({name: "" for name in EMPTY_FILES})
    return files


def entrypoint_script(poll_seconds: float = RELOAD_POLL_SECONDS) -> str:
    """The container's entry: install the staged files, run traffic_manager, reload on route changes.

    kubelet updates a ConfigMap mounted as a directory by swapping a `..data` symlink, so the staged
    sni.yaml changes atomically; the loop notices the new content, installs it and asks the running
    server to reload. Paths come from the environment so the tests run this very script.
    """
    return f"""set -eu
bin="${{ATS_BIN_DIR:-{BIN_DIR}}}"
[ -x "$bin/traffic_manager" ] || bin="$(dirname "$(command -v traffic_manager)")"
conf="${{ATS_CONFIG_DIR:-$("$bin/traffic_layout" info 2>/dev/null | sed -n 's/^SYSCONFDIR: //p')}}"
conf="${{conf:-{CONFIG_DIR}}}"
echo "fate-exchange: config in $conf"
staged="${{ATS_STAGED_CONFIG_DIR:-{STAGED_CONFIG_DIR}}}"
routes="${{ATS_STAGED_ROUTES_DIR:-{STAGED_ROUTES_DIR}}}"
install_file() {{ cp "$1" "$2.tmp" && mv -f "$2.tmp" "$2"; }}
for f in "$staged"/*; do install_file "$f" "$conf/$(basename "$f")"; done
install_file "$routes/{SNI_FILENAME}" "$conf/{SNI_FILENAME}"
"$bin/traffic_manager" &
manager=$!
trap 'kill -TERM "$manager" 2>/dev/null; wait "$manager"; exit 0' TERM INT
last="$(cksum < "$routes/{SNI_FILENAME}")"
while kill -0 "$manager" 2>/dev/null; do
  sleep {poll_seconds}
  now="$(cksum < "$routes/{SNI_FILENAME}")"
  if [ "$now" != "$last" ]; then
    install_file "$routes/{SNI_FILENAME}" "$conf/{SNI_FILENAME}"
    if "$bin/traffic_ctl" config reload; then last="$now"; echo "fate-exchange: routes reloaded"; fi
  fi
done
wait "$manager"
"""
