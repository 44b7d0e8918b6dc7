"""Pulsar replication latency between two parties: through the exchange (the REAL Traffic Server, SNI tunnel)
against direct (the same TLS replication straight to the peer broker's TLS port).

Both parties' brokers (Pulsar 2.10.2, scripts/install-pulsar.sh) run from their rendered standalone.conf and
certificates, the exchange from its rendered configuration (as in tests/test_pulsar_federation.py). 9999
sends one message at a time on a topic replicated to 10000; the time from send to receipt at 10000 is the
figure. Needs FATE_FEDERATION_PULSAR_HOME and `traffic_server` (make bench sets both up).
Usage: .venv/bin/python benchmarks/bench_pulsar_replication.py [--messages N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.support.pulsar_peer import (  # noqa: E402
    Federation,
    PulsarBroker,
    import_pulsar_client,
    peer_cluster,
    pulsar_home,
    replicate_namespace,
    replicated_namespace,
    replication_stats,
    start_all,
)
from tests.support.pulumi_harness import render_federation  # noqa: E402
from tests.support.traffic_server import TrafficServer  # noqa: E402

DOMAIN = "fate.example.org"
TENANT = "fl-tenant"


def latencies(pulsar: object, a: PulsarBroker, b: PulsarBroker, topics: list[str], count: int) -> list[list[float]]:
    """Send-to-receipt times per topic, the topics taking turns message by message (same load on each)."""
    sender = pulsar.Client(a.service_url)  # type: ignore[attr-defined]
    receiver = pulsar.Client(b.service_url)  # type: ignore[attr-defined]
    try:
        pairs = []
        for topic in topics:
            consumer = receiver.subscribe(topic, "bench", initial_position=pulsar.InitialPosition.Earliest)  # type: ignore[attr-defined]
            producer = sender.create_producer(topic)
            producer.send(b"warm-up")
            consumer.acknowledge(consumer.receive(timeout_millis=120000))
            pairs.append((producer, consumer))
        times: list[list[float]] = [[] for _ in topics]
        for index in range(count):
            for (producer, consumer), series in zip(pairs, times):
                started = time.perf_counter()
                producer.send(f"m{index}".encode())
                message = consumer.receive(timeout_millis=30000)
                series.append(time.perf_counter() - started)
                consumer.acknowledge(message)
        return times
    finally:
        sender.close()
        receiver.close()


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return (f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f} ms "
            f"(n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    if pulsar_home() is None:
        raise SystemExit("FATE_FEDERATION_PULSAR_HOME is not set: run scripts/install-pulsar.sh (make bench does)")
    pulsar = import_pulsar_client()
    root = Path(tempfile.mkdtemp(prefix="pulsar-bench-"))
    rendered = render_federation(["exchange", "party-a", "party-b"])
    exchange = rendered["exchange"].run
    brokers = {}
    for stack, party_id in (("party-a", 9999), ("party-b", 10000)):
        run = rendered[stack].run
        brokers[party_id] = PulsarBroker(root / stack, party_id,
                                         run.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"],
                                         run.k8s_object("Secret", "pulsar-cert")["stringData"])
    server = TrafficServer(root / "exchange", config_files=exchange.k8s_object("ConfigMap", "traffic-server-config")["data"],
                           sni_yaml=exchange.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"],
                           cert_files=exchange.k8s_object("Secret", "traffic-server-cert")["stringData"],
                           backends={f"{pid}.{DOMAIN}": b.ports.broker_tls for pid, b in brokers.items()})
    federation = Federation(brokers=brokers, exchange=server, ca_pem=exchange.outputs["caCertPem"], domain=DOMAIN)
    a, b = brokers[9999], brokers[10000]
    try:
        server.start()
        start_all([a, b])
        replicate_namespace(federation, "via-exchange", [9999, 10000])
        # Direct: the same TLS replication (federation CA), straight to 10000's broker, no exchange.
        direct = {**peer_cluster(federation, 10000), "brokerServiceUrlTls": f"pulsar+ssl://127.0.0.1:{b.ports.broker_tls}",
                  "proxyServiceUrl": "", "proxyProtocol": None}
        assert a.admin("PUT", "/admin/v2/clusters/direct-10000", direct)[0] in (204, 409)
        replicated_namespace(a, TENANT, "direct", ["standalone", "direct-10000"])
        replicated_namespace(b, TENANT, "direct", ["standalone"])
        topics = [f"persistent://{TENANT}/via-exchange/data", f"persistent://{TENANT}/direct/data"]
        through, straight = latencies(pulsar, a, b, topics, args.messages)
        links = {name: replication_stats(a, topic.removeprefix("persistent://"))[cluster]["outboundConnection"]
                 for name, topic, cluster in (("exchange", topics[0], "10000"), ("direct", topics[1], "direct-10000"))}
        assert f"127.0.0.1:{server.listen_port}]" in links["exchange"], links
        assert f"127.0.0.1:{b.ports.broker_tls}]" in links["direct"], links
        print("Pulsar 2.10.2 replication 9999 -> 10000, one message at a time, send to receipt, the two paths "
              "taking turns (brokers from the rendered standalone.conf, TLS verified against the federation CA):")
        print(f"  direct to the peer broker's TLS port:       {summary(straight)}")
        print(f"  through the exchange (Traffic Server, SNI): {summary(through)}")
    finally:
        for broker in brokers.values():
            broker.stop()
        server.close()


if __name__ == "__main__":
    main()
