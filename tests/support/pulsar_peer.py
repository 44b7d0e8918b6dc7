"""REAL Apache Pulsar brokers (2.10.2 from Maven Central, scripts/install-pulsar.sh) run as standalone brokers
from a party's RENDERED standalone.conf and certificates.

Only what a loopback sandbox needs is rewritten (`rewrite_standalone_conf`): the listen address (127.0.0.1),
the four ports, the in-cluster host of the plain listener (the broker's own loopback address here), the
certificate folder, and the data folders (the broker runs in its own folder; ZooKeeper and the bookie get
ports of their own). Everything else, TLS, replicator prefix, advertised TLS name, is the rendered file.
FATE_FEDERATION_PULSAR_HOME names the resolved broker (the folder install-pulsar.sh prints).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.fateconf.pulsar import PULSAR_CERT_DIR
from facts import ports

HOME_VARIABLE = "FATE_FEDERATION_PULSAR_HOME"
JVM_OPTIONS = (
    "-Xms64m", "-Xmx384m", "-XX:MaxDirectMemorySize=256m", "-XX:+UseSerialGC",
    "-Dzookeeper.admin.enableServer=false",  # ZooKeeper's admin server would take port 8080 on every broker
    # What Pulsar's own bin/pulsar opens on Java 17 (DNS TTLs, GC metrics, Netty direct buffers).
    "--add-opens", "java.base/sun.net=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.management/sun.management=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)
_PORT_RANGE = (31000, 32768)
"""Broker TLS ports must be ones the exchange's connect_ports admit (FATE's 30000-33000); below Linux's
ephemeral range (32768-), so an outgoing connection cannot take a port handed out before its broker starts,
and above where traffic_server.free_port looks first (30000-30500), which picks before anything is bound."""
_handed_out: set[int] = set()


def pulsar_home() -> Path | None:
    home = os.environ.get(HOME_VARIABLE)
    return Path(home) if home and (Path(home) / ".complete").exists() else None


def import_pulsar_client() -> Any:
    """The Python client FATE 2.2 pins (pulsar-client 3.4.0), installed beside the broker."""
    home = pulsar_home()
    if home is None:
        raise RuntimeError(f"{HOME_VARIABLE} is not set: run scripts/install-pulsar.sh")
    if str(home / "python") not in sys.path:
        sys.path.insert(0, str(home / "python"))
    import pulsar  # noqa: PLC0415 (lives in the peer's folder, not in the project venv)

    return pulsar


def free_ports(count: int) -> list[int]:
    """`count` loopback ports no other caller in this process got, inside the exchange's connect range."""
    chosen: list[int] = []
    start = _PORT_RANGE[0] + (os.getpid() * 7) % 1500
    for port in list(range(start, _PORT_RANGE[1])) + list(range(_PORT_RANGE[0], start)):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        _handed_out.add(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError("no free loopback ports")


@dataclass(frozen=True)
class BrokerPorts:
    broker: int
    web: int
    broker_tls: int
    web_tls: int
    zookeeper: int
    bookie: int

    @staticmethod
    def allocate() -> BrokerPorts:
        return BrokerPorts(*free_ports(6))


def rewrite_standalone_conf(conf: str, broker_ports: BrokerPorts, cert_dir: Path) -> str:
    """The rendered standalone.conf with only listen address, ports, plain in-cluster host and cert folder moved."""
    values = {"brokerServicePort": broker_ports.broker, "webServicePort": broker_ports.web,
              "brokerServicePortTls": broker_ports.broker_tls, "webServicePortTls": broker_ports.web_tls,
              "bindAddress": "127.0.0.1"}
    for key, value in values.items():
        conf, found = re.subn(rf"^{key}=.*$", f"{key}={value}", conf, flags=re.M)
        if not found and key != "brokerServicePortTls" and key != "webServicePortTls":
            raise ValueError(f"rendered standalone.conf has no {key}")
    # The advertised listener: plain URL -> this broker on loopback; TLS URL keeps its federation name.
    conf = re.sub(rf"pulsar://[^:,\s]+:{ports.PULSAR_BROKER}\b", f"pulsar://127.0.0.1:{broker_ports.broker}", conf)
    conf = re.sub(rf"(pulsar\+ssl://[^:,\s]+):{ports.PULSAR_BROKER_TLS}\b", rf"\g<1>:{broker_ports.broker_tls}", conf)
    return conf.replace(PULSAR_CERT_DIR, str(cert_dir))


class PulsarBroker:
    """One party's broker in its own folder; started, stopped and restarted keeping its data."""

    def __init__(self, root: Path, party_id: int, standalone_conf: str, cert_files: Mapping[str, str]) -> None:
        home = pulsar_home()
        if home is None:
            raise RuntimeError(f"{HOME_VARIABLE} is not set: run scripts/install-pulsar.sh")
        self.home = home
        self.root = root
        self.party_id = party_id
        self.ports = BrokerPorts.allocate()
        (root / "certs").mkdir(parents=True, exist_ok=True)
        for name, content in cert_files.items():
            (root / "certs" / name).write_text(content)
        self.conf_path = root / "standalone.conf"
        self.conf_path.write_text(rewrite_standalone_conf(standalone_conf, self.ports, root / "certs"))
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def service_url(self) -> str:
        return f"pulsar://127.0.0.1:{self.ports.broker}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def log_path(self) -> Path:
        return self.root / f"broker-{self.starts}.log"

    def launch(self) -> None:
        """Start the JVM (returns at once; `wait_ready` waits for the broker)."""
        self.starts += 1
        command = ["java", *JVM_OPTIONS, "-cp", f"{self.home}/lib/*",
                   f"-Dlog4j.configurationFile={self.home}/conf/log4j2.xml",
                   "org.apache.pulsar.PulsarStandaloneStarter", "--config", str(self.conf_path),
                   "--no-stream-storage", "--no-functions-worker",
                   "--zookeeper-port", str(self.ports.zookeeper), "--bookkeeper-port", str(self.ports.bookie)]
        self.process = subprocess.Popen(command, cwd=self.root, stdout=open(self.log_path, "wb"),
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"broker {self.party_id} exited:\n{self.logs()}")
            # Ready once the starter created its sample namespace (it does so after the broker is up).
            status, body = self.admin("GET", "/admin/v2/namespaces/public", quiet=True)
            if status == 200 and "public/default" in body:
                return
            time.sleep(0.5)
        raise RuntimeError(f"broker {self.party_id} not ready after {timeout} s:\n{self.logs()}")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def admin(self, method: str, path: str, body: Any = None, *, quiet: bool = False) -> tuple[int, str]:
        """One admin REST call; returns (status, body). Status 0 when the broker does not answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.web_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            if quiet:
                return 0, ""
            raise

    def logs(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:] if self.log_path.exists() else ""

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (clean shutdown) or SIGKILL (a crash); data stays for the next start."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.process = None


@dataclass
class Federation:
    """Running brokers by party id, the exchange's Traffic Server, and the federation CA."""

    brokers: dict[int, PulsarBroker]
    exchange: Any
    ca_pem: str
    domain: str

    @property
    def proxy_url(self) -> str:
        return f"pulsar+ssl://127.0.0.1:{self.exchange.listen_port}"


def peer_cluster(federation: Federation, peer: int) -> dict[str, Any]:
    """The cluster entry FATE's Pulsar federation writes for a peer (fate/arch/federation/backends/pulsar:
    `<peer>.<domain>` URLs, SNI proxy = the exchange)."""
    name = f"{peer}.{federation.domain}"
    return {"serviceUrl": "", "serviceUrlTls": "", "brokerServiceUrl": f"pulsar://{name}:{ports.PULSAR_BROKER}",
            "brokerServiceUrlTls": f"pulsar+ssl://{name}:{ports.PULSAR_BROKER_TLS}", "peerClusterNames": [],
            "proxyServiceUrl": federation.proxy_url, "proxyProtocol": "SNI"}


def replicate_namespace(federation: Federation, namespace: str, parties: list[int],
                        tenant: str = "fl-tenant", local_cluster: str = "standalone") -> None:
    """What FATE does on each party before a job: a cluster per peer, the tenant, a replicated namespace."""
    for party in parties:
        broker = federation.brokers[party]
        peers = [p for p in parties if p != party]
        for peer in peers:
            status, body = broker.admin("PUT", f"/admin/v2/clusters/{peer}", peer_cluster(federation, peer))
            if status not in (204, 409):
                raise RuntimeError(f"cluster {peer} on {party}: {status} {body}")
        replicated_namespace(broker, tenant, namespace, [local_cluster, *map(str, peers)])


def replicated_namespace(broker: PulsarBroker, tenant: str, namespace: str, clusters: list[str]) -> None:
    """`tenant/namespace` on `broker`, replicated to `clusters` (added to the tenant's allowed clusters)."""
    status, body = broker.admin("GET", f"/admin/v2/tenants/{tenant}")
    if status == 200:  # other namespaces may replicate to other peers: keep them allowed
        allowed = sorted(set(json.loads(body)["allowedClusters"]) | set(clusters))
        status, body = broker.admin("POST", f"/admin/v2/tenants/{tenant}", {"admins": [], "allowedClusters": allowed})
    else:
        status, body = broker.admin("PUT", f"/admin/v2/tenants/{tenant}", {"admins": [], "allowedClusters": clusters})
    if status not in (204, 200):
        raise RuntimeError(f"tenant {tenant}: {status} {body}")
    status, body = broker.admin("PUT", f"/admin/v2/namespaces/{tenant}/{namespace}",
                                {"replication_clusters": clusters})
    if status not in (204, 409):
        raise RuntimeError(f"namespace {tenant}/{namespace}: {status} {body}")


def start_all(brokers: list[PulsarBroker]) -> None:
    """Start brokers side by side (each takes 20-40 s on two cores, mostly JVM and bookie start-up)."""
    for broker in brokers:
        broker.launch()
    for broker in brokers:
        broker.wait_ready()


def messages(consumer: Any, count: int, timeout: float) -> Iterator[bytes]:
    """Up to `count` message bodies, acknowledged, within `timeout` seconds overall."""
    deadline = time.monotonic() + timeout
    for _ in range(count):
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0:
            return
        try:
            message = consumer.receive(timeout_millis=left)
        except Exception:  # the client raises its own Timeout type
            return
        consumer.acknowledge(message)
        yield message.data()


def party_certificate(common_name: str, *, ca_cert_pem: str | None = None, ca_key_pem: str | None = None,
                      expired: bool = False) -> tuple[str, str]:
    """A certificate and key for `common_name`: signed by the given CA (else by a fresh CA that is NOT the
    federation's, an impostor), valid now or `expired` a day ago."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    if ca_cert_pem and ca_key_pem:
        ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
        ca_name = x509.load_pem_x509_certificate(ca_cert_pem.encode()).subject
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = ((now - datetime.timedelta(days=2), now - datetime.timedelta(days=1)) if expired
                  else (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def loopback_fate_conf(service_conf: Mapping[str, Any], route_table: Mapping[Any, Any], broker: PulsarBroker,
                       exchange_port: int) -> tuple[dict[str, Any], dict[Any, Any]]:
    """A party's rendered service_conf.yaml and Pulsar route table (parsed) with the broker's and the exchange's
    addresses moved to loopback; nothing else changed. FATE reaches its own broker through service_conf's
    `federation.pulsar` and every peer through the route table's `default` (the exchange)."""
    federation = dict(service_conf["federation"])
    federation["pulsar"] = {**federation["pulsar"], "host": "127.0.0.1", "port": broker.ports.broker,
                            "mng_port": broker.ports.web}
    routes = dict(route_table)
    routes["default"] = {**routes["default"], "proxy": f"127.0.0.1:{exchange_port}"}
    return {**service_conf, "federation": federation}, routes


def replication_stats(broker: PulsarBroker, topic: str) -> dict[str, Any]:
    """The topic's replication section as the admin API shows it (per remote cluster: connected, backlog)."""
    status, body = broker.admin("GET", f"/admin/v2/persistent/{topic}/stats")
    return json.loads(body).get("replication", {}) if status == 200 else {}
