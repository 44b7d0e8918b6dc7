"""Route tables: the party's and the exchange's nginx route_table.yaml, and the Pulsar route table.

Party ids are written as YAML integers: FATE's Pulsar federation looks a party up with
`route_table.get(int(party_id))`, so integer keys need no patch of FATE's code (KubeFATE's 2.0 chart
`sed`s FATE at start-up instead). Entries are sorted by party id so a re-render is byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.fateconf.settings import Endpoint, PulsarExchange, PulsarRoute, validate_party_id
from components.fateconf.yamlfmt import dump


def _endpoint(e: Endpoint) -> list[dict[str, Any]]:
    return [{"host": e.host, "http_port": e.http_port, "grpc_port": e.grpc_port}]


def party_nginx_route_table_yaml(party_id: int, *, nginx: Endpoint, fateflow: Endpoint,
                                 exchange: Endpoint | None, peers: Mapping[int, Endpoint] | None = None) -> str:
    """A party's nginx routes: itself, direct peers, and (with an exchange) `default` to the exchange."""
    party_id = validate_party_id(party_id)
    table: dict[Any, Any] = {}
    if exchange is not None:
        table["default"] = {"proxy": _endpoint(exchange)}
    for peer_id, peer in sorted((peers or {}).items()):
        if validate_party_id(peer_id) == party_id:
            raise ValueError(f"party {party_id} lists itself as a peer")
        table[peer_id] = {"proxy": _endpoint(peer)}
    table[party_id] = {"proxy": _endpoint(nginx), "fateflow": _endpoint(fateflow)}
    return dump(table)


def exchange_nginx_route_table_yaml(exchange_nginx: Endpoint, parties: Mapping[int, Endpoint]) -> str:
    """The exchange's nginx routes: FATE Flow traffic for each party goes to that party's nginx."""
    table: dict[Any, Any] = {"default": {"proxy": _endpoint(exchange_nginx)}}
    for party_id, endpoint in sorted(parties.items()):
        table[validate_party_id(party_id)] = {"proxy": _endpoint(endpoint)}
    return dump(table)


def pulsar_route_table_yaml(party_id: int, *, local: PulsarRoute, exchange: PulsarExchange | None,
                            peers: Mapping[int, PulsarRoute] | None = None) -> str:
    """The Pulsar route table FATE reads per job: this party's broker, direct peers, `default` exchange.

    A party not listed is reached as `<partyId>.<domain>` through the exchange's SNI proxy.
    """
    party_id = validate_party_id(party_id)
    table: dict[Any, Any] = {}
    for pid, route in sorted({**(peers or {}), party_id: local}.items()):
        table[validate_party_id(pid)] = {"host": route.host, "port": route.port, "sslPort": route.ssl_port,
                                         "proxy": route.proxy}
    if exchange is not None:
        table["default"] = {"proxy": f"{exchange.proxy_host}:{exchange.proxy_port}", "domain": exchange.domain,
                            "brokerPort": local.port, "brokerSslPort": local.ssl_port}
    return dump(table)
