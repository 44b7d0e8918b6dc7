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
