"""standalone.conf for a FATE party's Pulsar broker (`bin/pulsar standalone`), mounted over the image's.

Written: the settings a one-node broker needs (one bookie, so ensemble/quorums of 1; no load manager),
those FATE's replication relies on (auto-created non-partitioned topics, inactive topics deleted, no
system topics, as KubeFATE's chart sets), and the TLS listener the exchange tunnels to. Pulsar takes
its built-in defaults for the rest.

Each party's replicator gets its own producer name (`replicatorPrefix=pulsar.repl.<partyId>`): with the
shared default, a federation of three or more parties hangs on "Producer with name
'pulsar.repl.standalone' is already connected" (FATE #4695, #4739).

What a lookup answers (advertised listeners). A peer's replicator reaches this broker through the exchange
by SNI: its TCP connection goes to the exchange and the TLS name it asks for picks the tunnel. After the
topic lookup, a Pulsar client connects to the broker URL the lookup answered, through the same proxy,
asking for that URL's host name. So a TLS lookup must answer `pulsar+ssl://<partyId>.<domain>`, the one
name the exchange routes to this broker, while this party's own FATE (plain `pulsar://`, in the cluster)
must be answered with the in-cluster Service name. One listener (`internal`) carries both URLs: plain
clients get the first, TLS clients the second. KubeFATE leaves `advertisedAddress` blank; the standalone
starter then advertises `localhost` and only works because Pulsar 2.10's lookup sends a client back
through the URL it came from when the advertised address is a loopback address (TopicLookupBase,
standalone mode only): a shortcut a non-standalone or external broker does not take.
`advertisedAddress` stays `localhost` for what the broker does to itself (its own admin client, its id).

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

LISTENER = "internal"
"""The broker's one advertised listener (plain URL for the party, TLS URL for peers via the exchange)."""
SELF_ADDRESS = "localhost"
"""What the broker calls itself (its own admin client, its id): the standalone starter's own default."""

__all__ = ["CA_FILE", "CERT_FILE", "KEY_FILE", "LISTENER", "PULSAR_CERT_DIR", "federation_name",
           "pulsar_standalone_conf"]


def federation_name(party_id: int, domain: str) -> str:
    """The name a party's broker has in the federation: its certificate's CN and its exchange route."""
    return f"{validate_party_id(party_id)}.{domain}"


def pulsar_standalone_conf(party_id: int, *, tls: bool, max_message_size: int = BROKER_MAX_MESSAGE_SIZE,
                           allow_insecure_peers: bool = False, service_host: str | None = None,
                           federation_domain: str | None = None) -> str:
    """standalone.conf; with `tls`, the broker also serves TLS with the exchange-signed certificate.

    With `service_host` (the in-cluster name FATE's service_conf reaches the broker by) and
    `federation_domain`, lookups answer peers with this party's federation name (module docstring).
    """
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
        if service_host and federation_domain:
            listeners = (f"{LISTENER}:pulsar://{service_host}:{ports.PULSAR_BROKER},"
                         f"{LISTENER}:pulsar+ssl://{federation_name(party_id, federation_domain)}:"
                         f"{ports.PULSAR_BROKER_TLS}")
            settings += [
                ("advertisedAddress", SELF_ADDRESS),
                ("advertisedListeners", listeners),
                ("internalListenerName", LISTENER),
            ]
    return "".join(f"{key}={value}\n" for key, value in settings)
