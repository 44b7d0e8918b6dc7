"""Our nginx.conf and route tables in a REAL nginx with the lua module, routed the way FATE's proxy routes.

A real nginx (Debian's nginx + libnginx-mod-http-lua, scripts/install-nginx-lua.sh) loads the nginx.conf we
render; a balancer written by us (tests/support/nginx_lua.py: FATE's lua is not available here) hands each
route entry we render to `ngx.balancer.set_current_peer` as `"host:port"`, as FATE's balancer does. Every
entry must reach its backend over HTTP/1.1 and HTTP/2 (gRPC side), a call with no route must land on the
fallback upstream (this party's FATE Flow; nothing on the exchange), and whatever host the real module
refuses (a DNS name) our renderer refuses too, with the key and the fix. Loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.fateconf.nginx import nginx_conf, relay_names, route_host
from components.fateconf.routes import exchange_nginx_route_table_yaml, party_nginx_route_table_yaml
from components.fateconf.settings import Endpoint
from tests.support.nginx_lua import FateProxy, available, free_port
from tests.support.peers import require_peer

LOOPBACK = "127.0.0.1"


@pytest.fixture(autouse=True)
def _nginx_lua() -> None:
    require_peer("nginx with the lua module", available(), "run `bash scripts/install-nginx-lua.sh`")


def _endpoints(*names: str) -> dict[str, Endpoint]:
    return {name: Endpoint(LOOPBACK, free_port(), free_port()) for name in names}


def _backends(endpoints: dict[str, Endpoint]) -> tuple[dict[str, int], dict[str, int]]:
    http = {f"{name}-http": e.http_port for name, e in endpoints.items()}
    grpc = {f"{name}-grpc": e.grpc_port for name, e in endpoints.items()}
    return http, grpc


def _names_by_port(endpoints: dict[str, Endpoint]) -> dict[int, str]:
    ports = {e.http_port: f"{n}-http" for n, e in endpoints.items()}
    ports.update({e.grpc_port: f"{n}-grpc" for n, e in endpoints.items()})
    return ports


def _entries(table: dict[Any, Any]) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    for party, services in table.items():
        if party == "default":
            continue
        for service, servers in services.items():
            for server in servers:
                yield party, service, server


@pytest.fixture
def proxy_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[FateProxy] = []

    def make(name: str, **kwargs: Any) -> FateProxy:
        proxy = FateProxy(tmp_path / name, **kwargs)
        checked = proxy.check()
        assert checked.returncode == 0, checked.stderr
        proxy.start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def test_every_party_route_reaches_its_backend(proxy_factory: Any) -> None:
    endpoints = _endpoints("fateflow", "own-nginx", "exchange", "peer-10000")
    table_yaml = party_nginx_route_table_yaml(
        9999, nginx=endpoints["own-nginx"], fateflow=endpoints["fateflow"], exchange=endpoints["exchange"],
        peers={10000: endpoints["peer-10000"]})
    http, grpc = _backends(endpoints)
    proxy = proxy_factory("party", nginx_conf=nginx_conf(endpoints["fateflow"]), route_table=table_yaml,
                          backends=http, grpc_backends=grpc)
    names = _names_by_port(endpoints)
    table = yaml.safe_load(table_yaml)
    entries = list(_entries(table))
    assert len(entries) == 3  # own proxy, own fateflow, the direct peer
    for party, service, server in entries:
        assert proxy.call(party, service) == (200, names[server["http_port"]]), proxy.logs()
        assert proxy.call(party, service, grpc=True) == (200, names[server["grpc_port"]]), proxy.logs()
    # A party with no entry goes to the exchange (`default`), both protocols.
    assert proxy.call(12345) == (200, "exchange-http")
    assert proxy.call(12345, grpc=True) == (200, "exchange-grpc")
    # A call the lua cannot route falls back to this party's FATE Flow (the upstream's own server line).
    assert proxy.call(None) == (200, "fateflow-http")
    assert proxy.call(None, grpc=True) == (200, "fateflow-grpc")
    assert proxy.refusals() == []


def test_every_exchange_route_reaches_its_party_and_an_unroutable_call_reaches_nothing(proxy_factory: Any) -> None:
    endpoints = _endpoints("party-9999", "party-10000")
    own = Endpoint(LOOPBACK, free_port(), free_port())
    table_yaml = exchange_nginx_route_table_yaml(own, {9999: endpoints["party-9999"],
                                                       10000: endpoints["party-10000"]})
    http, grpc = _backends(endpoints)
    proxy = proxy_factory("exchange", nginx_conf=nginx_conf(None), route_table=table_yaml, backends=http,
                          grpc_backends=grpc)
    names = _names_by_port(endpoints)
    for party, service, server in _entries(yaml.safe_load(table_yaml)):
        assert proxy.call(party, service) == (200, names[server["http_port"]]), proxy.logs()
        assert proxy.call(party, service, grpc=True) == (200, names[server["grpc_port"]]), proxy.logs()
    status, body = proxy.call(None)
    assert status == 502 and body not in http  # a dead end at once, not a wrong party
    assert "no live upstreams" in proxy.logs()  # no connection was attempted
    assert proxy.refusals() == []


# Hosts a route table might be given; the real module decides which it accepts.
CANDIDATE_HOSTS = ["127.0.0.1", "localhost", "fateflow", "nginx.fate-9999.svc.cluster.local",
                   "a1b2c3.elb.us-east-1.amazonaws.com", "::1", "[::1]", "127.0.0.1.nip.io"]


def test_the_renderer_refuses_whatever_the_lua_module_refuses(proxy_factory: Any) -> None:
    """Each candidate host is written as a route for its own party id; the real set_current_peer decides.
    A refused host is not an error at run time: the call silently lands on the fallback (FATE Flow)."""
    fateflow, target = Endpoint(LOOPBACK, free_port(), free_port()), Endpoint(LOOPBACK, free_port(), free_port())
    table: dict[str, Any] = {str(4000 + i): {"fateflow": [{"host": host, "http_port": target.http_port,
                                                          "grpc_port": target.grpc_port}]}
                             for i, host in enumerate(CANDIDATE_HOSTS)}
    proxy = proxy_factory("candidates", nginx_conf=nginx_conf(fateflow), route_table=table,
                          backends={"fateflow": fateflow.http_port, "target": target.http_port},
                          grpc_backends={})
    module_accepts: dict[str, bool] = {}
    for i, host in enumerate(CANDIDATE_HOSTS):
        _, body = proxy.call(4000 + i)
        refused = [reason for peer, reason in proxy.refusals() if peer.startswith(f"{host}:")]
        module_accepts[host] = not refused
        if refused:
            assert body == "fateflow", f"{host}: a refused route falls back to the local FATE Flow"
    assert module_accepts["127.0.0.1"] and not module_accepts["localhost"]
    assert not module_accepts["nginx.fate-9999.svc.cluster.local"]
    assert "no host allowed" in {reason.strip() for _, reason in proxy.refusals()}

    for host, accepted in module_accepts.items():
        try:
            route_host(host, "party 4000's nginx host")
            renderer_accepts = True
        except ValueError as error:
            renderer_accepts = False
            assert "party 4000's nginx host" in str(error) and "IPv4" in str(error)
        assert accepted or not renderer_accepts, f"{host}: the module refuses it, the renderer must too"
        if renderer_accepts:
            assert accepted


def test_rendered_nginx_conf_names_fate_flow_as_the_fallback_on_a_party_only() -> None:
    party = nginx_conf(Endpoint("10.96.0.20", 9380, 9360))
    assert "server 10.96.0.20:9380;" in party and "server 10.96.0.20:9360;" in party
    exchange = nginx_conf(None)
    assert exchange.count("server 127.0.0.1:1 down;") == 2
    for text in (party, exchange):
        assert text.count("balancer_by_lua_file 'lua/balancer.lua';") == 2
        assert "include vhost/*.conf;" in text and "init_worker_by_lua_file 'lua/initialize.lua';" in text


@pytest.mark.parametrize("stack", ["party-a", "local"])
def test_rendered_route_tables_hold_only_addresses_the_balancer_accepts(stack: str) -> None:
    """On the manifests users see: every nginx route host is one the real module accepts (see above), and
    every FATE nginx mounts our nginx.conf (its upstream fallbacks) where the image reads it."""
    from tests.support.pulumi_harness import run_program

    run = run_program(stack)
    tables = [c for c in run.k8s_objects("ConfigMap") if "route_table.yaml" in (c.get("data") or {})]
    assert tables
    for config_map in tables:
        table = yaml.safe_load(config_map["data"]["route_table.yaml"])
        for party, service, server in _entries(table):
            route_host(server["host"], f"{config_map['metadata']['namespace']} route {party}.{service}")
        for server in (table.get("default") or {}).get("proxy", []):
            route_host(server["host"], f"{config_map['metadata']['namespace']} default route")
    for nginx in [d for d in run.k8s_objects("Deployment") if d["metadata"]["name"] == "nginx"]:
        mounts = nginx["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        assert "/data/projects/fate/proxy/nginx/conf/nginx.conf" in {m["mountPath"] for m in mounts}


def test_a_named_route_reaches_its_backend_through_a_relay(proxy_factory: Any) -> None:
    """A Service or a load balancer known only by name: the table gets a loopback relay the balancer
    accepts, and nginx.conf an upstream naming the host, resolved by nginx at start (here `localhost`,
    from /etc/hosts: loopback only)."""
    fateflow, peer = Endpoint(LOOPBACK, free_port(), free_port()), Endpoint("localhost", free_port(), free_port())
    named_yaml = party_nginx_route_table_yaml(9999, nginx=fateflow, fateflow=fateflow, exchange=None,
                                              peers={10000: peer})
    table_yaml, relays = relay_names(named_yaml, first_port=free_port())
    table = yaml.safe_load(table_yaml)
    assert [r.host for r in relays] == ["localhost"]
    for _, _, server in _entries(table):
        route_host(server["host"], "route")  # only addresses the balancer accepts are written
    proxy = proxy_factory("relay", nginx_conf=nginx_conf(fateflow, relays), route_table=table_yaml,
                          backends={"fateflow": fateflow.http_port, "peer": peer.http_port},
                          grpc_backends={"fateflow-grpc": fateflow.grpc_port, "peer-grpc": peer.grpc_port})
    assert proxy.call(10000) == (200, "peer"), proxy.logs()
    assert proxy.call(10000, grpc=True) == (200, "peer-grpc"), proxy.logs()
    assert proxy.call(9999) == (200, "fateflow")
    assert proxy.refusals() == []
