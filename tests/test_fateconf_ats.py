"""Traffic Server's files for the exchange (components/fateconf/ats.py), byte for byte, and bad input.

That a real Traffic Server routes with them is tests/test_traffic_server.py.
"""

from __future__ import annotations

import pytest

from components.fateconf import ats


def test_sni_yaml_sorted_tunnels() -> None:
    routes = [ats.SniRoute("10000.fate.org", "203.0.113.20", 31000), ats.SniRoute("9999.fate.org", "192.0.2.9", 6651)]
    assert ats.sni_yaml(routes) == (
        "sni:\n- fqdn: 10000.fate.org\n  tunnel_route: 203.0.113.20:31000\n"
        "- fqdn: 9999.fate.org\n  tunnel_route: 192.0.2.9:6651\n"
    )
    assert ats.sni_yaml([]) == "sni: []\n"


def test_connect_ports_admit_every_routed_port() -> None:
    routes = [ats.SniRoute("9999.fate.org", "h", 6651), ats.SniRoute("1.fate.org", "h", 8443)]
    assert ats.connect_ports(routes) == "443 6650-6700 30000-33000 8443"


def test_records_config() -> None:
    records = ats.records_config(tls_port=443, connect_port_list="443", cert_dir="/opt/proxy")
    assert records.startswith("CONFIG proxy.config.http.server_ports STRING 443:ssl\n"
                              "CONFIG proxy.config.http.connect_ports STRING 443\n")
    assert "CONFIG proxy.config.ssl.servername.filename STRING sni.yaml\n" in records


def test_ssl_multicert() -> None:
    assert ats.ssl_multicert_config() == "dest_ip=* ssl_cert_name=proxy.cert.pem ssl_key_name=proxy.key.pem\n"


@pytest.mark.parametrize("make, message", [
    (lambda: ats.SniRoute("not a name", "h", 1), "not a DNS name"),
    (lambda: ats.SniRoute("9999.fate.org", "h:1", 1), "not a host name"),
    (lambda: ats.SniRoute("9999.fate.org", "h", 0), "not 1..65535"),
    (lambda: ats.sni_yaml([ats.SniRoute("9999.fate.org", "a", 1), ats.SniRoute("9999.fate.org", "b", 2)]),
     "two SNI routes"),
])
def test_ats_bad_input(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_party_rule_routes_digits_only_to_exchange_services() -> None:
    rule = ats.PartyRule("fate.org", "fate-exchange", "cluster.local")
    assert ats.sni_yaml([ats.SniRoute("1.fate.org", "lb.example.net", 8443)], rule) == (
        "sni:\n- fqdn: 1.fate.org\n  tunnel_route: lb.example.net:8443\n"
        "- fqdn: '([0-9]{1,10}).fate.org$'\n  tunnel_route: party-$1.fate-exchange.svc.cluster.local:6651\n"
    )
    assert rule.host(9999) == "party-9999.fate-exchange.svc.cluster.local"
    with pytest.raises(ValueError, match="namespace"):
        ats.PartyRule("fate.org", "Fate_Exchange", "cluster.local")


def test_party_services_split_ip_name_and_own_route() -> None:
    routes = [ats.SniRoute("9999.fate.org", "192.0.2.9", 31000), ats.SniRoute("10000.fate.org", "lb.example.net", 6651),
              ats.SniRoute("10001.fate.org", "lb.example.net", 8443)]
    services, own = ats.party_services(routes, "fate.org")
    assert [(s.name, s.address_type, s.port) for s in services] == [
        ("party-10000", None, 6651), ("party-9999", "IPv4", 31000)]
    assert own == [routes[2]]  # an ExternalName carries no port: this one keeps a tunnel_route of its own
    files = ats.traffic_server_files(routes, rule=ats.PartyRule("fate.org", "x", "cluster.local"))
    assert files["sni.yaml"].count("- fqdn:") == 2
    assert "CONFIG proxy.config.hostdb.timeout INT 1\n" in files["records.config"]
    assert "CONFIG proxy.config.srv_enabled INT 1\n" in files["records.config"]
