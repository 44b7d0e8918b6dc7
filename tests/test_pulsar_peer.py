"""The test peer changes only what a loopback sandbox needs in a party's rendered standalone.conf."""

from __future__ import annotations

from pathlib import Path

from components.fateconf.pulsar import pulsar_standalone_conf
from tests.support.pulsar_peer import BrokerPorts, rewrite_standalone_conf


def _settings(conf: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in conf.splitlines() if line)


def test_only_listen_addresses_ports_and_cert_folder_change() -> None:
    rendered = pulsar_standalone_conf(9999, tls=True, service_host="pulsar", federation_domain="fate.example.org")
    ports = BrokerPorts(broker=31001, web=31002, broker_tls=31003, web_tls=31004, zookeeper=31005, bookie=31006)
    before, after = _settings(rendered), _settings(rewrite_standalone_conf(rendered, ports, Path("/sandbox/certs")))
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"bindAddress", "brokerServicePort", "webServicePort", "brokerServicePortTls", "webServicePortTls",
                       "advertisedListeners", "tlsCertificateFilePath", "tlsKeyFilePath", "tlsTrustCertsFilePath",
                       "brokerClientTrustCertsFilePath"}
    assert set(after) == set(before)
    assert after["bindAddress"] == "127.0.0.1"
    # The plain URL is this broker on loopback; the TLS URL keeps the party's federation name.
    assert after["advertisedListeners"] == ("internal:pulsar://127.0.0.1:31001,"
                                            "internal:pulsar+ssl://9999.fate.example.org:31003")
    assert after["tlsTrustCertsFilePath"] == "/sandbox/certs/ca.cert.pem"
    assert after["replicatorPrefix"] == "pulsar.repl.9999" and after["tlsAllowInsecureConnection"] == "false"
