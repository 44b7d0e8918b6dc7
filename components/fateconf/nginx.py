"""nginx.conf for FATE's proxy (the `federatedai/nginx` image) and the rule for what its route tables hold.

FATE's proxy routes every FATE Flow call with lua: `router.lua` looks the destination party up in
route_table.yaml and `balancer.lua` hands `"<host>:<port>"` to `ngx.balancer.set_current_peer`. That call
parses the address without resolving it, so it accepts IP literals only; a DNS name is refused with
"no host allowed" (tests/test_nginx_lua.py shows both on a real nginx with the lua module). When the call
fails, FATE's balancer returns without a peer and nginx uses the upstream's own `server` line: in FATE's
nginx.conf the placeholder 0.0.0.1 (meant as a dead end), in KubeFATE's FATE Flow itself. So:

- every host written in a route table is an IPv4 literal (`route_host`). IPv6 cannot be written either:
  FATE's router joins host and port as `host:port`, which an IPv6 address cannot survive.
- a route to a name (a Service in one cluster, a load balancer that only has a hostname) or an IPv6
  address goes through a relay (`relay_names`): the table points at a loopback port of the same nginx,
  where a plain server block proxies to an upstream that names the host. nginx resolves upstream `server`
  names with the system resolver when it starts (the pod's cluster DNS), which the balancer never does.
  A name that does not resolve at start stops nginx from starting (it restarts until it does), and a
  load balancer whose addresses change is followed on the next restart.
- nginx.conf is rendered too (it is read at start and shares conf/ with the image's vhost/ and
  mime.types, so it is mounted alone by subPath): the upstreams fall back to FATE Flow (HTTP 9380, gRPC
  9360) as KubeFATE's do, so a call the lua cannot route (no `dest-party-id`) still reaches this party's
  FATE Flow. The exchange has no FATE Flow; its upstreams have only a `down` server, so such a call fails
  at once instead of landing somewhere wrong (NO_FALLBACK).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from components.fateconf.settings import Endpoint
from components.fateconf.yamlfmt import dump

RELAY_ADDRESS = "127.0.0.1"
RELAY_FIRST_PORT = 19300
"""Loopback ports of the name relays inside the nginx pod: away from FATE's 9300/9310/9302."""

NO_FALLBACK = "127.0.0.1:1 down"
"""The exchange's upstream line: a server marked `down`, so a call the lua does not route is answered 502
("no live upstreams") without any connection. FATE's own placeholder, 0.0.0.1, is not a dead end: Linux
connects 0.0.0.0/8 to the local host (tests/test_nginx_lua.py reached a local port-80 server through it)."""


def route_host(value: Any, key: str) -> str:
    """A route-table host FATE's balancer accepts: an IPv4 address literal.

    `key` names the setting or route in the message. A DNS name (a Service name, a load balancer that only
    has a hostname) is refused here rather than by nginx at run time, where the call would silently go to
    the fallback upstream.
    """
    try:
        address = ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if isinstance(address, ipaddress.IPv6Address):
        raise ValueError(
            f"{key} is {value!r}, an IPv6 address: FATE's nginx route tables join host and port as host:port, "
            "which cannot carry an IPv6 address. Give the IPv4 address of the endpoint (e.g. the Service's IPv4 "
            "clusterIP or an IPv4 load balancer)")
    raise ValueError(
        f"{key} is {value!r}: FATE's nginx routes with ngx.balancer.set_current_peer, which takes IP addresses "
        "only and refuses host names (a named route silently falls back to the local FATE Flow). Give the "
        "endpoint's IPv4 address: a Service's clusterIP in one cluster, the load balancer's IP, or "
        "exposure.nodeAddress with NodePort; for a load balancer that only has a hostname, request an IP "
        "(e.g. a network load balancer with a static IP) or use NodePort")


@dataclass(frozen=True)
class Relay:
    """A loopback listener of FATE's nginx that forwards to a named host: `port` for HTTP (to
    `host:http_port`), `port + 1` for gRPC (to `host:grpc_port`)."""

    host: str
    http_port: int
    grpc_port: int
    port: int

    @property
    def upstream_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


def is_balancer_address(host: Any) -> bool:
    """True when FATE's balancer accepts `host` as written in a route table (route_host's rule)."""
    try:
        route_host(host, "host")
        return True
    except ValueError:
        return False


def relay_names(route_table_yaml: str, first_port: int = RELAY_FIRST_PORT) -> tuple[str, list[Relay]]:
    """The route table with every host the balancer refuses replaced by a relay on loopback, and the
    relays to render into nginx.conf (one per distinct host and port pair, in table order)."""
    table = yaml.safe_load(route_table_yaml) or {}
    relays: dict[tuple[str, int, int], Relay] = {}
    for services in table.values():
        for servers in services.values():
            for server in servers:
                host = str(server["host"])
                if is_balancer_address(host):
                    continue
                if not host or any(c.isspace() or c in "{};#" for c in host):
                    raise ValueError(f"route host {host!r} is neither an address nor a host name")
                key = (host, int(server["http_port"]), int(server["grpc_port"]))
                if key not in relays:
                    relays[key] = Relay(*key, port=first_port + 2 * len(relays))
                relay = relays[key]
                server.update(host=RELAY_ADDRESS, http_port=relay.port, grpc_port=relay.port + 1)
    return dump(table), list(relays.values())


def _relay_blocks(relays: Sequence[Relay]) -> str:
    blocks = []
    for index, relay in enumerate(relays):
        blocks.append(
            f"    upstream relay_{index}_http {{\n        server {relay.upstream_host}:{relay.http_port};\n    }}\n"
            f"    upstream relay_{index}_grpc {{\n        server {relay.upstream_host}:{relay.grpc_port};\n    }}\n"
            f"    server {{\n"
            f"        listen {RELAY_ADDRESS}:{relay.port};\n"
            f"        location / {{\n"
            f"            proxy_http_version 1.1;\n"
            f"            proxy_set_header Connection \"\";\n"
            f"            proxy_pass http://relay_{index}_http;\n"
            f"        }}\n"
            f"    }}\n"
            f"    server {{\n"
            f"        listen {RELAY_ADDRESS}:{relay.port + 1} http2;\n"
            f"        location / {{\n"
            f"            grpc_pass grpc://relay_{index}_grpc;\n"
            f"        }}\n"
            f"    }}\n\n")
    return "".join(blocks)


def _upstream(name: str, server: str) -> str:
    return (f"    upstream {name} {{\n"
            f"        server {server};\n"
            "        balancer_by_lua_file 'lua/balancer.lua';\n"
            "    }\n")


def nginx_conf(fateflow: Endpoint | None, relays: Sequence[Relay] = ()) -> str:
    """FATE's proxy nginx.conf; `fateflow` is the fallback upstream (None on the exchange: no fallback).
    The fallback host may be a Service name: nginx resolves `server` names once at start (and refuses to
    start when it cannot), unlike the balancer; a clusterIP avoids both."""
    http = f"{fateflow.host}:{fateflow.http_port}" if fateflow else NO_FALLBACK
    grpc = f"{fateflow.host}:{fateflow.grpc_port}" if fateflow else NO_FALLBACK
    return (
        "worker_processes  2;\n"
        "error_log  /dev/stderr  info;\n"
        "\n"
        "events {\n"
        "    worker_connections  1024;\n"
        "}\n"
        "\n"
        "http {\n"
        "    include       mime.types;\n"
        "    default_type  application/octet-stream;\n"
        "    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" \"$http_host\" '\n"
        "                      '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n"
        "                      '$upstream_status $upstream_addr $request_time $upstream_response_time';\n"
        "    access_log  /dev/stdout  main;\n"
        "    sendfile        on;\n"
        "    keepalive_timeout  65;\n"
        "    underscores_in_headers on;\n"
        "\n"
        "    lua_package_path \"$prefix/lua/?.lua;;\";\n"
        "    init_worker_by_lua_file 'lua/initialize.lua';\n"
        "\n"
        f"{_upstream('http_cluster', http)}"
        "\n"
        f"{_upstream('grpc_cluster', grpc)}"
        "\n"
        f"{_relay_blocks(relays)}"
        "    include vhost/*.conf;\n"
        "}\n"
    )
