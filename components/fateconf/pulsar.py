"""standalone.conf for a FATE party's Pulsar broker (`bin/pulsar standalone`), mounted over the image's.

Written: the settings a one-node broker needs (one bookie, so ensemble/quorums of 1; no load manager),
those FATE's replication relies on (auto-created non-partitioned topics, inactive topics deleted, no
system topics, as KubeFATE's chart sets), and the TLS listener the exchange tunnels to. Pulsar takes
its built-in defaults for the rest.

Each party's replicator gets its own producer name (`replicatorPrefix=pulsar.repl.<partyId>`): with the
shared default, a federation of three or more parties hangs on "Producer with name
'pulsar.repl.standalone' is already connected" (FATE #4695, #4739).

TLS differs from KubeFATE's chart on purpose: the chart sets `tlsAllowInsecureConnection=true`, which
also makes this broker's replicator accept any certificate from the other side; here the replicator
verifies peers against the federation CA unless `allow_insecure_peers` is set.
"""

from __future__ import annotations

from components.fateconf.service_conf import PULSAR_CLUSTER
from components.fateconf.settings import validate_party_id, validate_positive
from facts import ports
from facts.paths import PULSAR_CERT_DIR

CERT_FILE = "broker.cert.pem"
KEY_FILE = "broker.key-pk8.pem"
CA_FILE = "ca.cert.pem"
BROKER_MAX_MESSAGE_SIZE = 134217728
"""128 MiB, as KubeFATE sets; FATE itself cuts messages at service_conf `max_message_size` (1 MiB)."""
FRAME_PADDING = 10240
"""Room Pulsar needs between the largest message and the largest network frame."""

__all__ = ["CA_FILE", "CERT_FILE", "KEY_FILE", "PULSAR_CERT_DIR", "pulsar_standalone_conf"]


def pulsar_standalone_conf(party_id: int, *, tls: bool, max_message_size: int = BROKER_MAX_MESSAGE_SIZE,
                           allow_insecure_peers: bool = False) -> str:
    """standalone.conf; with `tls`, the broker also serves TLS with the exchange-signed certificate."""
    party_id = validate_party_id(party_id)
    validate_positive(max_message_size, "pulsar max_message_size")
    settings: list[tuple[str, object]] = [
        ("clusterName", PULSAR_CLUSTER),
        ("zookeeperServers", ""),
        ("configurationStoreServers", ""),
        ("bindAddress", "0.0.0.0"),
        ("brokerServicePort", ports.PULSAR_BROKER),
        ("webServicePort", ports.PULSAR_WEB),
        ("replicatorPrefix", f"pulsar.repl.{party_id}"),
        ("maxMessageSize", max_message_size),
        ("nettyMaxFrameSizeBytes", max_message_size + FRAME_PADDING),
        ("managedLedgerDefaultEnsembleSize", 1),
        ("managedLedgerDefaultWriteQuorum", 1),
        ("managedLedgerDefaultAckQuorum", 1),
        ("loadManagerClassName", "org.apache.pulsar.broker.loadbalance.NoopLoadManager"),
        ("loadBalancerEnabled", "false"),
        ("systemTopicEnabled", "false"),
        ("topicLevelPoliciesEnabled", "false"),
        ("brokerDeleteInactiveTopicsEnabled", "true"),
        ("brokerDeleteInactiveTopicsFrequencySeconds", 60),
        ("allowAutoTopicCreation", "true"),
        ("allowAutoTopicCreationType", "non-partitioned"),
        ("authenticationEnabled", "false"),
        ("authorizationEnabled", "false"),
    ]
    if tls:
        ca = f"{PULSAR_CERT_DIR}/{CA_FILE}"
        settings += [
            ("brokerServicePortTls", ports.PULSAR_BROKER_TLS),
            ("webServicePortTls", ports.PULSAR_WEB_TLS),
            ("tlsEnabled", "true"),
            ("tlsCertificateFilePath", f"{PULSAR_CERT_DIR}/{CERT_FILE}"),
            ("tlsKeyFilePath", f"{PULSAR_CERT_DIR}/{KEY_FILE}"),
            ("tlsTrustCertsFilePath", ca),
            ("tlsAllowInsecureConnection", "true" if allow_insecure_peers else "false"),
            ("tlsRequireTrustedClientCertOnConnect", "false"),
            ("brokerClientTlsEnabled", "true"),
            ("brokerClientTrustCertsFilePath", ca),
        ]
    return "".join(f"{key}={value}\n" for key, value in settings)
