"""Pulsar standalone.conf for a FATE party's broker.

Only the settings FATE depends on are written; Pulsar takes its defaults for the rest. Each party's
replicator gets its own producer name (`replicatorPrefix=pulsar.repl.<partyId>`): with the default
prefix, a federation of three or more parties hangs on "Producer with name 'pulsar.repl.standalone' is
already connected" (FATE #4695, #4739).
"""

from __future__ import annotations

from components.fateconf import ports
from components.fateconf.settings import validate_party_id

PULSAR_CERT_DIR = "/opt/pulsar/certs"
CERT_FILE = "broker.cert.pem"
KEY_FILE = "broker.key-pk8.pem"
CA_FILE = "ca.cert.pem"


def pulsar_standalone_conf(party_id: int, *, tls: bool, max_message_size: int = 1048576) -> str:
    """standalone.conf; with `tls`, the broker also serves TLS with the exchange-signed certificate."""
    party_id = validate_party_id(party_id)
    settings: list[tuple[str, object]] = [
        ("clusterName", "standalone"),
        ("bindAddress", "0.0.0.0"),
        ("brokerServicePort", ports.PULSAR_BROKER),
        ("webServicePort", ports.PULSAR_WEB),
        ("replicatorPrefix", f"pulsar.repl.{party_id}"),
        ("maxMessageSize", max_message_size),
        ("brokerDeleteInactiveTopicsEnabled", "true"),
        ("brokerDeleteInactiveTopicsFrequencySeconds", 60),
        ("allowAutoTopicCreation", "true"),
        ("allowAutoTopicCreationType", "non-partitioned"),
        ("authenticationEnabled", "false"),
        ("authorizationEnabled", "false"),
    ]
    if tls:
        settings += [
            ("brokerServicePortTls", ports.PULSAR_BROKER_TLS),
            ("webServicePortTls", ports.PULSAR_WEB_TLS),
            ("tlsEnabled", "true"),
            ("brokerClientTlsEnabled", "true"),
            ("tlsCertificateFilePath", f"{PULSAR_CERT_DIR}/{CERT_FILE}"),
            ("tlsKeyFilePath", f"{PULSAR_CERT_DIR}/{KEY_FILE}"),
            ("tlsTrustCertsFilePath", f"{PULSAR_CERT_DIR}/{CA_FILE}"),
            ("brokerClientTrustCertsFilePath", f"{PULSAR_CERT_DIR}/{CA_FILE}"),
            ("tlsAllowInsecureConnection", "true"),
        ]
    return "".join(f"{key}={value}\n" for key, value in settings)
