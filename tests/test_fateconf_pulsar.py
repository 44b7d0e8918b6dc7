"""standalone.conf: per-party replicator prefix (FATE #4695), the TLS listener, and verified peers."""

from __future__ import annotations

import pytest

from components.fateconf.pulsar import PULSAR_CERT_DIR, pulsar_standalone_conf

PLAIN = (
    "clusterName=standalone\n"
    "zookeeperServers=\n"
    "configurationStoreServers=\n"
    "bindAddress=0.0.0.0\n"
    "brokerServicePort=6650\n"
    "webServicePort=8080\n"
    "replicatorPrefix=pulsar.repl.9999\n"
    "maxMessageSize=134217728\n"
    "nettyMaxFrameSizeBytes=134227968\n"
    "managedLedgerDefaultEnsembleSize=1\n"
    "managedLedgerDefaultWriteQuorum=1\n"
    "managedLedgerDefaultAckQuorum=1\n"
    "loadManagerClassName=org.apache.pulsar.broker.loadbalance.NoopLoadManager\n"
    "loadBalancerEnabled=false\n"
    "systemTopicEnabled=false\n"
    "topicLevelPoliciesEnabled=false\n"
    "brokerDeleteInactiveTopicsEnabled=true\n"
    "brokerDeleteInactiveTopicsFrequencySeconds=60\n"
    "allowAutoTopicCreation=true\n"
    "allowAutoTopicCreationType=non-partitioned\n"
    "authenticationEnabled=false\n"
    "authorizationEnabled=false\n"
)
TLS = (
    "brokerServicePortTls=6651\n"
    "webServicePortTls=8081\n"
    "tlsEnabled=true\n"
    "tlsCertificateFilePath=/opt/pulsar/certs/broker.cert.pem\n"
    "tlsKeyFilePath=/opt/pulsar/certs/broker.key-pk8.pem\n"
    "tlsTrustCertsFilePath=/opt/pulsar/certs/ca.cert.pem\n"
    "tlsAllowInsecureConnection=false\n"
    "tlsRequireTrustedClientCertOnConnect=false\n"
    "brokerClientTlsEnabled=true\n"
    "brokerClientTrustCertsFilePath=/opt/pulsar/certs/ca.cert.pem\n"
)


def test_plain_broker() -> None:
    assert pulsar_standalone_conf(9999, tls=False) == PLAIN


def test_tls_broker_serves_the_exchange_signed_certificate() -> None:
    assert pulsar_standalone_conf(9999, tls=True) == PLAIN + TLS
    assert PULSAR_CERT_DIR == "/opt/pulsar/certs"


def test_each_party_has_its_own_replicator_name() -> None:
    names = {line for party in (9999, 10000, 10001) for line in pulsar_standalone_conf(party, tls=True).splitlines()
             if line.startswith("replicatorPrefix=")}
    assert names == {"replicatorPrefix=pulsar.repl.9999", "replicatorPrefix=pulsar.repl.10000",
                     "replicatorPrefix=pulsar.repl.10001"}


def test_insecure_peers_only_on_request() -> None:
    assert "tlsAllowInsecureConnection=true\n" in pulsar_standalone_conf(9999, tls=True, allow_insecure_peers=True)


def test_message_size_and_frame_move_together() -> None:
    conf = pulsar_standalone_conf(9999, tls=False, max_message_size=5242880)
    assert "maxMessageSize=5242880\nnettyMaxFrameSizeBytes=5253120\n" in conf


@pytest.mark.parametrize("party, size, message", [(0, 1, "out of FATE's range"), (9999, 0, "max_message_size")])
def test_bad_input(party: int, size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pulsar_standalone_conf(party, tls=False, max_message_size=size)


def test_lookups_answer_peers_with_the_federation_name() -> None:
    """A TLS lookup (a peer's replicator through the exchange) is answered with `<partyId>.<domain>`, the name
    the exchange routes; a plain lookup (the party's own FATE) with the in-cluster Service name."""
    conf = pulsar_standalone_conf(9999, tls=True, service_host="pulsar", federation_domain="fate.example.org")
    assert conf.endswith("advertisedAddress=localhost\n"
                         "advertisedListeners=internal:pulsar://pulsar:6650,"
                         "internal:pulsar+ssl://9999.fate.example.org:6651\n"
                         "internalListenerName=internal\n")
    # Without an exchange there is no federation name to advertise: the starter's default stays.
    assert "advertised" not in pulsar_standalone_conf(9999, tls=True, service_host="pulsar")
    assert "advertised" not in pulsar_standalone_conf(9999, tls=False, service_host="pulsar",
                                                      federation_domain="fate.example.org")
