"""nginx.conf for FATE's proxy (the `federatedai/nginx` image) and the rule for what its route tables hold.

FATE's proxy routes every FATE Flow call with lua: `router.lua` looks the destination party up in
route_table.yaml and `balancer.lua` hands `"<host>:<port>"` to `ngx.balancer.set_current_peer`. That call
parses the address without resolving it, so it accepts IP literals only; a DNS name is refused with
"no host allowed" (tests/test_nginx_lua.py shows both on a real nginx with the lua module). When the call
fails, FATE's balancer returns without a peer and nginx uses the upstream's own `server` line: in FATE's
nginx.conf the placeholder 0.0.0.1 (meant as a dead end), in KubeFATE's FATE Flow itself. So:

- every host in a route table is an IPv4 literal (`route_host`): a Service's clusterIP, a load balancer's
  IP or a node address. IPv6 is refused as well: FATE's router joins host and port as `host:port`, which
  an IPv6 address cannot survive.
- nginx.conf is rendered too (it is read at start and shares conf/ with the image's vhost/ and
  mime.types, so it is mounted alone by subPath): the upstreams fall back to FATE Flow (HTTP 9380, gRPC
  9360) as KubeFATE's do, so a call the lua cannot route (no `dest-party-id`) still reaches this party's
  FATE Flow. The exchange has no FATE Flow; its upstreams have only a `down` server, so such a call fails
  at once instead of landing somewhere wrong (NO_FALLBACK).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from components.fateconf.settings import Endpoint

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


def _upstream(name: str, server: str) -> str:
    return (f"    upstream {name} {{\n"
            f"        server {server};\n"
            "        balancer_by_lua_file 'lua/balancer.lua';\n"
            "    }\n")


def nginx_conf(fateflow: Endpoint | None) -> str:
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
        "    include vhost/*.conf;\n"
        "}\n"
    )
