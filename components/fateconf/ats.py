"""Apache Traffic Server as the federation's SNI router: records.config, sni.yaml, ssl_multicert.config,
and the entry script that reloads routes in place.

Each party's Pulsar TLS stream is routed by the name it asks for (`<partyId>.<domain>`) with a
`tunnel_route`: a blind tunnel, so TLS is not terminated and the party's broker presents its own
certificate end to end. A route change is applied with `traffic_ctl config reload` under
traffic_manager: open tunnels survive, no pod restarts (docs/exchange-reload.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from facts import ports

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


def _sorted_unique(routes: Sequence[SniRoute]) -> list[SniRoute]:
    seen: dict[str, SniRoute] = {}
    for route in routes:
        if route.fqdn in seen:
            raise ValueError(f"two SNI routes for {route.fqdn}: each party name routes to one backend")
        seen[route.fqdn] = route
    return [seen[name] for name in sorted(seen)]


def sni_yaml(routes: Sequence[SniRoute]) -> str:
    """sni.yaml: one `tunnel_route` per party. An empty federation is a valid, empty route list."""
    entries = _sorted_unique(routes)
    if not entries:
        return "sni: []\n"
    body = "".join(
        f"- fqdn: {r.fqdn}\n  tunnel_route: {r.tunnel_host}:{r.tunnel_port}\n" for r in entries
    )
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
    return "".join(f"CONFIG {name} {kind} {value}\n" for name, kind, value in records)


def ssl_multicert_config(cert_name: str = CERT_FILE, key_name: str = KEY_FILE) -> str:
    """The proxy's own certificate (CN proxy.<domain>), presented only to clients asking for no party."""
    return f"dest_ip=* ssl_cert_name={cert_name} ssl_key_name={key_name}\n"


def ip_allow_yaml() -> str:
    return (
        "ip_allow:\n"
        "- apply: in\n  ip_addrs: 0.0.0.0/0\n  action: allow\n"
        "- apply: in\n  ip_addrs: ::/0\n  action: allow\n"
    )


def traffic_server_files(routes: Sequence[SniRoute], *, tls_port: int = TLS_PORT,
                         cert_dir: str = CERT_DIR) -> dict[str, str]:
    """Every file the exchange's Traffic Server reads, filename -> content."""
    files = {
        "records.config": records_config(tls_port=tls_port, connect_port_list=connect_ports(routes),
                                         cert_dir=cert_dir),
        "ssl_multicert.config": ssl_multicert_config(),
        "ip_allow.yaml": ip_allow_yaml(),
        "logging.yaml": "logging: {}\n",
        "strategies.yaml": "",
        SNI_FILENAME: sni_yaml(routes),
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
