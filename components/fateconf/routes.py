"""Route tables: a party's and the exchange's nginx route_table.yaml, and a party's Pulsar route table.

nginx (FATE's proxy lua, `c/proxy/lua/route_table.lua`): FATE Flow sends every federated call to its
nginx with headers `dest-party-id: <id>` and `service: fateflow`; the lua looks up
`table[<id>]["fateflow"]` and, only when the party id has no entry, `table["default"]["proxy"]`. So an
entry for another party must carry a `fateflow` list (pointing at that party's nginx, or on its own
party at FATE Flow itself); an entry with only `proxy` fails every call to that party. The file is
parsed by FATE's own small lua YAML parser (`yaml_parser.lua`), which reads this block style, including
sequences written at their key's indentation (see docs/fate-config.md).

Pulsar (FATE's `pulsar/_federation.py`): a party not found in the table is reached as
`<partyId>.<default.domain>` on `default.brokerPort` / `default.brokerSslPort` through the SNI proxy
`default.proxy`. FATE Flow 2.x builds the table into a pydantic model whose `default` REQUIRES
`domain`, `brokerPort` and `brokerSslPort`, and turns party ids into strings, while FATE 2.0-2.2 look
entries up by `int(party_id)`: in FATE 2.x only `default` is ever used (see docs/fate-config.md).
Party ids are written as YAML integers, which FATE 1.x's lookup needs and FATE 2.x accepts.

Entries are sorted (`default` first, then party ids) so a re-render is byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.fateconf.settings import Endpoint, PulsarExchange, PulsarRoute
from components.fateconf.yamlfmt import dump
from facts.versions import DEFAULT_FATE_VERSION, is_fate_2
from specs.values import validate_party_id

NGINX_SERVICE_KEY = "fateflow"
"""The `service` header FATE Flow sends, hence the key the nginx lua looks up in a party's entry."""
NGINX_DEFAULT_KEY = "default"


def _servers(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [{"host": endpoint.host, "http_port": endpoint.http_port, "grpc_port": endpoint.grpc_port}]


def _sorted_parties(parties: Mapping[int, Any], what: str) -> list[tuple[int, Any]]:
    ids = [validate_party_id(party_id) for party_id in parties]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what} lists a party id twice (e.g. 9999 and '9999'): keep one entry per party")
    return sorted(zip(ids, parties.values()))


def party_nginx_route_table_yaml(party_id: int, *, nginx: Endpoint, fateflow: Endpoint,
                                 exchange: Endpoint | None, peers: Mapping[int, Endpoint] | None = None) -> str:
    """A party's nginx routes: itself (to FATE Flow), direct peers (to their nginx), and with an
    exchange a `default` to the exchange's nginx. Without exchange or peer entry, calls to another
    party fail at this nginx (no route), which is the honest state before the party joins."""
    party_id = validate_party_id(party_id)
    table: dict[Any, Any] = {}
    if exchange is not None:
        table[NGINX_DEFAULT_KEY] = {"proxy": _servers(exchange)}
    for peer_id, peer in _sorted_parties(peers or {}, "peers"):
        if peer_id == party_id:
            raise ValueError(f"party {party_id} lists itself among its peers: remove it from peers")
        table[peer_id] = {NGINX_SERVICE_KEY: _servers(peer)}
    table[party_id] = {"proxy": _servers(nginx), NGINX_SERVICE_KEY: _servers(fateflow)}
    return dump(dict(sorted(table.items(), key=_route_order)))


def exchange_nginx_route_table_yaml(exchange_nginx: Endpoint, parties: Mapping[int, Endpoint]) -> str:
    """The exchange's nginx routes: each party's FATE Flow traffic goes to that party's nginx.

    No `default`: KubeFATE's exchange chart points it at the exchange itself, so a call for an unknown
    party loops through the exchange until connections run out; without it the lua fails that call
    at once. `exchange_nginx` is the exchange's own address, refused as a party route for the same reason.
    """
    table: dict[Any, Any] = {}
    for party_id, endpoint in _sorted_parties(parties, "the exchange's parties"):
        if (endpoint.host, endpoint.http_port) == (exchange_nginx.host, exchange_nginx.http_port):
            raise ValueError(f"party {party_id}'s nginx is the exchange's own nginx {endpoint.host}:"
                             f"{endpoint.http_port} (a routing loop): give the party's nginx address")
        table[party_id] = {NGINX_SERVICE_KEY: _servers(endpoint)}
    return dump(table)


def pulsar_route_table_yaml(party_id: int, *, local: PulsarRoute, exchange: PulsarExchange | None,
                            peers: Mapping[int, PulsarRoute] | None = None,
                            fate_version: str = DEFAULT_FATE_VERSION) -> str:
    """The Pulsar route table FATE reads for every job: this party's broker, direct peers (FATE 1.x
    only), and with an exchange the `default` through which every other party is reached."""
    party_id = validate_party_id(party_id)
    peers = peers or {}
    if peers and is_fate_2(fate_version):
        raise ValueError(
            f"direct Pulsar routes to parties {sorted(peers)} are never used by FATE {fate_version}: it reaches "
            "other parties only through the route table's default (the exchange). Remove the peers and set the "
            "exchange, or deploy FATE 1.11.2 for direct routes")
    table: dict[Any, Any] = {}
    for pid, route in _sorted_parties({**peers, party_id: local}, "the Pulsar peers"):
        table[pid] = {"host": route.host, "port": route.port, "sslPort": route.ssl_port, "proxy": route.proxy}
    if exchange is not None:
        table[NGINX_DEFAULT_KEY] = {"proxy": f"{exchange.proxy_host}:{exchange.proxy_port}",
                                    "domain": exchange.domain, "brokerPort": local.port,
                                    "brokerSslPort": local.ssl_port}
    return dump(dict(sorted(table.items(), key=_route_order)))


def _route_order(item: tuple[Any, Any]) -> tuple[int, int]:
    key = item[0]
    return (0, 0) if key == NGINX_DEFAULT_KEY else (1, key)
