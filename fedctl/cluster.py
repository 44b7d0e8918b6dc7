"""The embedded Kubernetes cluster: a REAL control plane on 127.0.0.1 with SIMULATED nodes (kwok).

etcd, kube-apiserver (Pod Security admission, RBAC), kube-controller-manager and kube-scheduler are the
real programs (scripts/build-cluster.sh builds them from the Go module proxy), so what the Pulumi program
deploys meets real admission, validation, defaulting, immutable fields, garbage collection and status.
No container runs: kwok's controller fakes the nodes and drives pods to Running/Ready through its
upstream stages (copied beside the binaries at build time) plus one of ours (a LoadBalancer Service gets
an address in TEST-NET-1, 192.0.2.0/24, never contacted). Claims bind through kwok's volume stages.

`start` writes DIR/kubeconfig with one context per cluster the stack files name (all the same API server)
and returns with the processes running; `stop` ends them (pids in DIR/pids.json) and leaves the data, so
a later `start` on the same DIR comes back with the same objects, ports and certificates.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fedctl.stackfiles import read_stack_config, stack_names

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = PROJECT_ROOT / "scripts" / "build-cluster.sh"
DEFAULT_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fate-federation" / "embedded-cluster"
DEFAULT_CONTEXT = "embedded"
SERVICE_CIDR = "198.51.100.0/24"
"""TEST-NET-2: cluster IPs are allocated, never routed (there is no kube-proxy)."""
POD_CIDR = "198.18.0.0/16"
"""Benchmarking range (RFC 2544): kwok hands these to simulated pods; nothing listens there."""
LOAD_BALANCER_NET = "192.0.2"
"""TEST-NET-1: a LoadBalancer Service's ingress IP is 192.0.2.<last octet of its cluster IP> (unique)."""
NODE_ADDRESSES = ("203.0.113.20", "203.0.113.21", "203.0.113.22")
"""TEST-NET-3 node addresses; party-b's `exposure.nodeAddress` (203.0.113.20) is the first node's."""
NODE_CAPACITY = {"cpu": "64", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
"""Per simulated node: enough for a whole federation at the `dev` and `production` sizings."""
KWOK_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
STORAGE_CLASS = "kwok-volume"
"""kwok's volume stages provision claims of this class; it is the default class, so claims without one bind."""


def status_stage(name: str, api_group: str, kind: str, conditions: list[str], status_template: str) -> dict[str, Any]:
    """A kwok Stage that writes `status_template` into the status of every `kind` object matching the CEL
    `conditions`, once (not being deleted, no load-balancer status yet)."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": name},
        "spec": {
            "resourceRef": {"apiGroup": api_group, "kind": kind},
            "selector": {"matchExpressions": [
                {"cel": {"expression": expression}} for expression in
                [*conditions, "!has(self.metadata.deletionTimestamp)", "!has(self.status.loadBalancer.ingress)"]]},
            "steps": [{"patch": {"root": "status", "subresource": "status", "template": status_template}}],
        },
    }


LOAD_BALANCER_STAGE = status_stage(
    "service-load-balancer", "v1", "Service", ["self.spec.type == 'LoadBalancer'"],
    "loadBalancer:\n  ingress:\n"
    f"  - ip: {LOAD_BALANCER_NET}.{{{{ index (splitList \".\" .spec.clusterIP) 3 }}}}\n"
    "    ipMode: VIP\n")
"""Ours: what a cloud's load-balancer controller does, with an address that is unique and never routed."""

INGRESS_CONTROLLER_ADDRESS = f"{LOAD_BALANCER_NET}.254"
"""The address an ingress controller's own load balancer would have: every Ingress gets it, as with one
controller per cluster (.254: a Service's last clusterIP octet can be any other)."""

INGRESS_STAGE = status_stage("ingress-load-balancer", "networking.k8s.io/v1", "Ingress", [],
                             f"loadBalancer:\n  ingress:\n  - ip: {INGRESS_CONTROLLER_ADDRESS}\n")
"""Ours: what an ingress controller does once it admits an Ingress (the provider's await waits for it)."""


class ClusterError(Exception):
    """The embedded cluster could not start or stop; the message names the component and its log."""


@dataclass(frozen=True)
class Paths:
    """Where one embedded cluster keeps its files."""

    root: Path

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids.json"

    @property
    def ports(self) -> Path:
        return self.root / "ports.json"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def component_kubeconfig(self, component: str) -> Path:
        return self.root / f"{component}.kubeconfig"


# ---- certificates (cryptography) -------------------------------------------------------------------

def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _certificate(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
                 issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool = False,
                 usages: Iterable[x509.ObjectIdentifier] = (),
                 sans: Iterable[x509.GeneralName] = ()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=3650 if ca else 365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    usages = list(usages)
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    sans = list(sans)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


CLIENTS = {
    "admin": ("kubernetes-admin", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", None),
    "kube-scheduler": ("system:kube-scheduler", None),
    "kwok": ("kwok-controller", "system:masters"),
}
"""Client certificate per user: (CN = user name, O = group). The bootstrap RBAC rules know the system users."""


def write_pki(pki: Path) -> None:
    """CA, API server serving cert, service-account signing key (and its public half, which the API server
    verifies tokens with) and one client cert per CLIENTS entry."""
    pki.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca = _certificate(_name("fate-federation-embedded-ca"), ca_key, None, ca_key, ca=True)
    files: dict[str, bytes] = {"ca.crt": _pem_cert(ca), "ca.key": _pem_key(ca_key)}
    server_key = _key()
    first_service_ip = next(ipaddress.ip_network(SERVICE_CIDR).hosts())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in (
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local")]
    sans += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(first_service_ip)]
    files["apiserver.crt"] = _pem_cert(_certificate(_name("kube-apiserver"), server_key, ca, ca_key,
                                                    usages=[ExtendedKeyUsageOID.SERVER_AUTH], sans=sans))
    files["apiserver.key"] = _pem_key(server_key)
    service_account_key = _key()
    files["sa.key"] = _pem_key(service_account_key)
    files["sa.pub"] = service_account_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for client, (user, group) in CLIENTS.items():
        key = _key()
        files[f"{client}.crt"] = _pem_cert(_certificate(_name(user, group), key, ca, ca_key,
                                                        usages=[ExtendedKeyUsageOID.CLIENT_AUTH]))
        files[f"{client}.key"] = _pem_key(key)
    for name, data in files.items():
        path = pki / name
        path.write_bytes(data)
        path.chmod(0o600)


# ---- file formats (pure) ---------------------------------------------------------------------------

def kubeconfig(server: str, ca_pem: bytes, cert_pem: bytes, key_pem: bytes, contexts: Iterable[str],
               current: str) -> dict[str, Any]:
    """A self-contained kubeconfig: every context names the same cluster and user."""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "embedded", "cluster": {"server": server, "certificate-authority-data": b64(ca_pem)}}],
        "users": [{"name": "embedded-admin",
                   "user": {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}}],
        "contexts": [{"name": name, "context": {"cluster": "embedded", "user": "embedded-admin"}}
                     for name in sorted(set(contexts) | {current})],
        "current-context": current,
    }


def stack_contexts(project_dir: Path = PROJECT_ROOT) -> list[str]:
    """The kubeconfig contexts the repository's stack files name (`kubernetes.context`)."""
    found = set()
    for stack in stack_names(project_dir):
        values = read_stack_config(project_dir, stack).values
        for key, value in values.items():
            if key.endswith(":kubernetes") and isinstance(value, Mapping) and value.get("context"):
                found.add(str(value["context"]))
    return sorted(found)


def node_manifest(index: int) -> dict[str, Any]:
    """A simulated node kwok manages (by annotation); status is kept on create, so kwok keeps these."""
    name = f"kwok-node-{index}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "annotations": {KWOK_NODE_ANNOTATION[0]: KWOK_NODE_ANNOTATION[1]},
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", "type": "kwok"}},
        "status": {"addresses": [{"type": "InternalIP", "address": NODE_ADDRESSES[index]},
                                 {"type": "Hostname", "address": name}],
                   "capacity": NODE_CAPACITY, "allocatable": NODE_CAPACITY},
    }


def bootstrap_objects(stages_dir: Path) -> list[dict[str, Any]]:
    """Objects applied once the API server answers: the nodes and kwok's default StorageClass."""
    storage_class = yaml.safe_load((stages_dir / "storage-class.yaml").read_text())
    return [node_manifest(i) for i in range(len(NODE_ADDRESSES))] + [storage_class]


# ---- processes -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ports(paths: Paths) -> dict[str, int]:
    """The cluster's ports: the ones it had before when still free (the kubeconfig keeps working)."""
    names = ("etcd-client", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kwok")
    previous = json.loads(paths.ports.read_text()) if paths.ports.exists() else {}
    ports = {name: previous[name] if name in previous and _port_is_free(previous[name]) else _free_port()
             for name in names}
    paths.ports.write_text(json.dumps(ports))
    return ports


def find_bin_dir(bin_dir: Path | None = None) -> Path:
    """The built binaries: the given dir, $FATE_CLUSTER_BIN, or scripts/build-cluster.sh (builds if missing)."""
    if bin_dir is None and os.environ.get("FATE_CLUSTER_BIN"):
        bin_dir = Path(os.environ["FATE_CLUSTER_BIN"])
    if bin_dir is None:
        result = subprocess.run(["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise ClusterError(f"{BUILD_SCRIPT.name} failed (exit {result.returncode}); see its messages above")
        bin_dir = Path(result.stdout.strip().splitlines()[-1])
    missing = [name for name in (*COMPONENTS, "kubectl") if not (bin_dir / name).exists()]
    if missing:
        raise ClusterError(f"{bin_dir} lacks {', '.join(missing)}: run scripts/build-cluster.sh")
    return bin_dir


def _alive(pid: int, bin_dir: str) -> bool:
    """The pid runs one of OUR binaries (a recycled pid of another program is left alone)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return exe.startswith(bin_dir)


def _running(paths: Paths) -> dict[str, int]:
    if not paths.pids.exists():
        return {}
    record = json.loads(paths.pids.read_text())
    return {name: pid for name, pid in record["pids"].items() if _alive(pid, record["binDir"])}


def _commands(bin_dir: Path, paths: Paths, ports: Mapping[str, int], stage_files: list[Path]) -> dict[str, list[str]]:
    pki = paths.pki
    etcd_url = f"http://127.0.0.1:{ports['etcd-client']}"
    peer_url = f"http://127.0.0.1:{ports['etcd-peer']}"

    def delegated(component: str) -> list[str]:
        config = str(paths.component_kubeconfig(component))
        return [f"--kubeconfig={config}", f"--authentication-kubeconfig={config}",
                f"--authorization-kubeconfig={config}", "--bind-address=127.0.0.1", "--leader-elect=false"]

    return {
        "etcd": [str(bin_dir / "etcd"), "--name=embedded", f"--data-dir={paths.root / 'etcd'}",
                 f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
                 f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
                 f"--initial-cluster=embedded={peer_url}", "--unsafe-no-fsync", "--log-level=warn"],
        "kube-apiserver": [
            str(bin_dir / "kube-apiserver"), f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={ports['apiserver']}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # Pod Security admission is on by default; namespaces' labels choose the level.
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            # Endpoints may not hold loopback addresses: no reconciler for the `kubernetes` Service.
            "--endpoint-reconciler-type=none", "--profiling=false",
        ],
        "kube-controller-manager": [
            str(bin_dir / "kube-controller-manager"), *delegated("kube-controller-manager"),
            f"--secure-port={ports['controller-manager']}", f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-account-private-key-file={pki / 'sa.key'}", "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
        ],
        "kube-scheduler": [str(bin_dir / "kube-scheduler"), *delegated("kube-scheduler"),
                           f"--secure-port={ports['scheduler']}"],
        "kwok": [str(bin_dir / "kwok"), f"--kubeconfig={paths.component_kubeconfig('kwok')}",
                 *[f"--config={path}" for path in stage_files],
                 f"--manage-nodes-with-annotation-selector={'='.join(KWOK_NODE_ANNOTATION)}",
                 f"--cidr={POD_CIDR}", f"--node-ip={NODE_ADDRESSES[0]}", "--node-lease-duration-seconds=40",
                 f"--server-address=127.0.0.1:{ports['kwok']}"],
    }


def _wait(description: str, ready: Any, timeout: float, paths: Paths, component: str,
          process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ClusterError(f"{component} exited ({process.returncode}) before {description}:\n"
                               f"{_tail(paths.log(component))}")
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.2)
    raise ClusterError(f"{component}: {description} did not happen within {timeout:.0f} s; "
                       f"log {paths.log(component)}:\n{_tail(paths.log(component))}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def kubectl(bin_dir: Path, kubeconfig_path: Path, *args: str, input_text: str | None = None,
            check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """kubectl against the embedded cluster (the tests and the bootstrap use the same binary)."""
    result = subprocess.run([str(bin_dir / "kubectl"), f"--kubeconfig={kubeconfig_path}", *args],
                            input=input_text, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result


@dataclass(frozen=True)
class Started:
    kubeconfig: Path
    seconds: float
    pids: dict[str, int]


def start(directory: Path = DEFAULT_DIR, bin_dir: Path | None = None, *, project_dir: Path = PROJECT_ROOT,
          timeout: float = 60) -> Started:
    """Start (or find running) the embedded cluster in `directory`; returns once nodes are Ready."""
    began = time.monotonic()
    paths = Paths(Path(directory).resolve())
    running = _running(paths)
    if running and set(running) == set(COMPONENTS):
        return Started(paths.kubeconfig, 0.0, running)
    if running:
        stop(paths.root)  # half-running: start clean, keeping the data
    bin_dir = find_bin_dir(bin_dir).resolve()
    stages_dir = bin_dir.parent / "stages"
    paths.logs.mkdir(parents=True, exist_ok=True)
    if not (paths.pki / "ca.crt").exists():
        write_pki(paths.pki)
    ports = _ports(paths)
    server = f"https://127.0.0.1:{ports['apiserver']}"
    ca_pem = (paths.pki / "ca.crt").read_bytes()
    for client in CLIENTS:
        admin = client == "admin"
        config = kubeconfig(server, ca_pem, (paths.pki / f"{client}.crt").read_bytes(),
                            (paths.pki / f"{client}.key").read_bytes(),
                            stack_contexts(project_dir) if admin else [], DEFAULT_CONTEXT)
        target = paths.kubeconfig if admin else paths.component_kubeconfig(client)
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        target.chmod(0o600)
    own_stage = paths.root / "stages-ours.yaml"
    own_stage.write_text(yaml.safe_dump_all([LOAD_BALANCER_STAGE, INGRESS_STAGE], sort_keys=False))
    stage_files = sorted(p for p in stages_dir.glob("*.yaml") if p.name != "storage-class.yaml") + [own_stage]
    commands = _commands(bin_dir, paths, ports, stage_files)

    pids: dict[str, int] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def launch(component: str) -> subprocess.Popen[bytes]:
        with paths.log(component).open("ab") as log:
            process = subprocess.Popen(commands[component], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, cwd=paths.root)
        pids[component] = process.pid
        processes[component] = process
        paths.pids.write_text(json.dumps({"binDir": str(bin_dir), "pids": pids}))
        return process

    tls = ssl.create_default_context(cafile=str(paths.pki / "ca.crt"))
    tls.load_cert_chain(str(paths.pki / "admin.crt"), str(paths.pki / "admin.key"))
    client = httpx.Client(verify=tls, timeout=2)
    try:
        etcd = launch("etcd")
        _wait("etcd answering /health", lambda: httpx.get(
            f"http://127.0.0.1:{ports['etcd-client']}/health", timeout=2).status_code == 200,
              timeout, paths, "etcd", etcd)
        apiserver = launch("kube-apiserver")
        _wait("the API server answering /readyz", lambda: client.get(f"{server}/readyz").status_code == 200,
              timeout, paths, "kube-apiserver", apiserver)
        launch("kube-controller-manager")
        launch("kube-scheduler")
        kwok = launch("kwok")
        kubectl(bin_dir, paths.kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", "-",
                input_text=yaml.safe_dump_all(bootstrap_objects(stages_dir)))
        _wait("every simulated node Ready", lambda: kubectl(
            bin_dir, paths.kubeconfig, "wait", "--for=condition=Ready", "node", "--all", "--timeout=1s",
            check=False).returncode == 0, timeout, paths, "kwok", kwok)
        # Pods need their namespace's default ServiceAccount: the controller manager is working once it exists.
        _wait("the default ServiceAccount created", lambda: kubectl(
            bin_dir, paths.kubeconfig, "get", "serviceaccount", "default", "-n", "default",
            check=False).returncode == 0, timeout, paths, "kube-controller-manager",
              processes["kube-controller-manager"])
    except BaseException:
        stop(paths.root)
        raise
    finally:
        client.close()
    return Started(paths.kubeconfig, time.monotonic() - began, pids)


def stop(directory: Path = DEFAULT_DIR, *, timeout: float = 10) -> list[str]:
    """End every process of the cluster in `directory`, one at a time in reverse start order (the API
    server shuts down gracefully only while etcd still answers); the data stays."""
    paths = Paths(Path(directory).resolve())
    running = _running(paths)
    bin_dir = _bin_dir_of(paths)
    order = [c for c in reversed(COMPONENTS) if c in running]
    for component in order:
        pid = running[component]
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while _alive(pid, bin_dir) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if _alive(pid, bin_dir):
            os.killpg(pid, signal.SIGKILL)
            while _alive(pid, bin_dir):
                _reap(pid)
                time.sleep(0.05)
    if paths.pids.exists():
        paths.pids.unlink()
    return order


def _bin_dir_of(paths: Paths) -> str:
    return json.loads(paths.pids.read_text())["binDir"] if paths.pids.exists() else "/nonexistent"


def _reap(pid: int) -> None:
    """Collect a child's exit status when this process started it (else it lingers as a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# ---- command line (`python -m fedctl cluster ...`) ------------------------------------------------

def add_commands(commands: Any) -> None:
    """`cluster start|stop` under the fedctl CLI."""
    cluster = commands.add_parser("cluster", help="the embedded cluster: real control plane, SIMULATED nodes (kwok)")
    actions = cluster.add_subparsers(dest="cluster_command", required=True)
    for name, text in (("start", "start it (building the binaries if missing) and write DIR/kubeconfig"),
                       ("stop", "stop every process of it (the data stays for the next start)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"state directory (default: {DEFAULT_DIR})")
        if name == "start":
            action.add_argument("--bin-dir", type=Path, help="built binaries (default: $FATE_CLUSTER_BIN or build)")


def run_command(args: Any) -> int:
    try:
        if args.cluster_command == "start":
            started = start(args.dir, args.bin_dir)
            print(f"embedded cluster up in {started.seconds:.1f} s (pods are SIMULATED by kwok; no container runs)")
            print(f"export KUBECONFIG={started.kubeconfig}")
        else:
            stopped = stop(args.dir)
            print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
