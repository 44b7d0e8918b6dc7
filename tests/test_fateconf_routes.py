"""nginx and Pulsar route tables, byte for byte, in the formats FATE's proxy lua and Pulsar federation read.

Expected texts follow KubeFATE's charts (nginx-config, pulsar-route-table) with two corrections
explained in docs/fate-config.md: other parties' nginx entries carry `fateflow` (the key FATE's lua
looks up), and the exchange has no self-looping `default`.
"""

from __future__ import annotations

import pytest
import yaml

from components.fateconf.routes import (
    exchange_nginx_route_table_yaml,
    party_nginx_route_table_yaml,
    pulsar_route_table_yaml,
)
from components.fateconf.settings import Endpoint, PulsarExchange, PulsarRoute

NGINX = Endpoint("nginx", 9300, 9310)
FATEFLOW = Endpoint("fateflow", 9380, 9360)
EXCHANGE_NGINX = Endpoint("192.0.2.7", 9300, 9310)
LOCAL_BROKER = PulsarRoute("pulsar", 6650, 6651)
EXCHANGE_PROXY = PulsarExchange("192.0.2.8", 443, "fate.example.org")


def test_party_nginx_routes_with_exchange_and_a_direct_peer() -> None:
    text = party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=EXCHANGE_NGINX,
                                        peers={10000: Endpoint("203.0.113.20", 30103, 30108)})
    assert text == (
        "default:\n"
        "  proxy:\n"
        "  - host: 192.0.2.7\n    http_port: 9300\n    grpc_port: 9310\n"
        "9999:\n"
        "  proxy:\n"
        "  - host: nginx\n    http_port: 9300\n    grpc_port: 9310\n"
        "  fateflow:\n"
        "  - host: fateflow\n    http_port: 9380\n    grpc_port: 9360\n"
        "10000:\n"
        "  fateflow:\n"
        "  - host: 203.0.113.20\n    http_port: 30103\n    grpc_port: 30108\n"
    )


def test_every_party_entry_answers_the_fateflow_service() -> None:
    """FATE Flow's calls carry `service: fateflow`; the lua indexes the party's entry with it."""
    table = yaml.safe_load(party_nginx_route_table_yaml(
        9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None, peers={10000: NGINX, 9998: NGINX}))
    assert list(table) == [9998, 9999, 10000]
    assert all("fateflow" in entry for entry in table.values())


def test_party_nginx_without_exchange_has_no_default() -> None:
    table = yaml.safe_load(party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None))
    assert list(table) == [9999]


@pytest.mark.parametrize("peers, message", [
    ({9999: NGINX}, "lists itself among its peers"),
    ({10000: NGINX, "10000": NGINX}, "lists a party id twice"),
    ({0: NGINX}, "out of FATE's range"),
])
def test_party_nginx_bad_peers(peers: dict[object, Endpoint], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None,
                                     peers=peers)  # type: ignore[arg-type]


def test_exchange_nginx_routes_each_party_to_its_nginx_sorted() -> None:
    text = exchange_nginx_route_table_yaml(Endpoint("nginx-internal", 9300, 9310),
                                           {10000: Endpoint("203.0.113.20", 31349, 31874),
                                            9999: Endpoint("192.0.2.9", 9300, 9310)})
    assert text == (
        "9999:\n  fateflow:\n  - host: 192.0.2.9\n    http_port: 9300\n    grpc_port: 9310\n"
        "10000:\n  fateflow:\n  - host: 203.0.113.20\n    http_port: 31349\n    grpc_port: 31874\n"
    )


def test_exchange_without_parties_routes_nothing() -> None:
    assert exchange_nginx_route_table_yaml(Endpoint("nginx-internal", 9300, 9310), {}) == "{}\n"


def test_exchange_refuses_a_party_routed_to_the_exchange_itself() -> None:
    with pytest.raises(ValueError, match="party 9999's nginx is the exchange's own nginx"):
        exchange_nginx_route_table_yaml(EXCHANGE_NGINX, {9999: Endpoint("192.0.2.7", 9300, 9999)})


def test_pulsar_routes_with_exchange_default() -> None:
    text = pulsar_route_table_yaml(9999, local=LOCAL_BROKER, exchange=EXCHANGE_PROXY)
    assert text == (
        "default:\n  proxy: 192.0.2.8:443\n  domain: fate.example.org\n  brokerPort: 6650\n  brokerSslPort: 6651\n"
        "9999:\n  host: pulsar\n  port: 6650\n  sslPort: 6651\n  proxy: ''\n"
    )


def test_pulsar_party_ids_load_as_integers() -> None:
    """FATE 1.x looks entries up with route_table.get(int(party_id)): keys must load as ints."""
    table = yaml.safe_load(pulsar_route_table_yaml(
        9999, local=LOCAL_BROKER, exchange=None, peers={10000: PulsarRoute("192.0.2.10", 30105, 30109)},
        fate_version="1.11.2"))
    assert table == {9999: {"host": "pulsar", "port": 6650, "sslPort": 6651, "proxy": ""},
                     10000: {"host": "192.0.2.10", "port": 30105, "sslPort": 30109, "proxy": ""}}


def test_pulsar_direct_peers_refused_for_fate_2() -> None:
    with pytest.raises(ValueError, match=r"never used by FATE 2\.0\.0.*deploy FATE 1\.11\.2"):
        pulsar_route_table_yaml(9999, local=LOCAL_BROKER, exchange=EXCHANGE_PROXY,
                                peers={10000: PulsarRoute("192.0.2.10", 30105, 30109)})


def test_route_tables_are_deterministic() -> None:
    peers = {10001: NGINX, 10000: FATEFLOW, 9998: NGINX}
    reversed_peers = dict(reversed(list(peers.items())))
    assert party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None, peers=peers) == \
        party_nginx_route_table_yaml(9999, nginx=NGINX, fateflow=FATEFLOW, exchange=None, peers=reversed_peers)
