"""A REAL Apache Traffic Server (Debian's trafficserver) run from the exchange's rendered files.

The files are exactly the ConfigMap/Secret data the exchange mounts; only the listen address and the
backend addresses are rewritten to loopback (plus the few records a private, unprivileged sandbox needs,
listed in SANDBOX_RECORDS, and the DNS server it asks). It runs through the exchange's own entry script
(traffic_manager plus the route reload loop). A route change arrives the two ways it does in a cluster:
the party Services the exchange stack renders become answers of a real DNS server on loopback
(tests.support.loopback_dns, standing for cluster DNS), and sni.yaml is delivered the way kubelet
delivers a ConfigMap update: an atomic swap of the `..data` symlink in the mounted directory.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.fateconf import ats
from facts.labels import PARTY_ID_LABEL
from tests.support.loopback_dns import LoopbackDns

SANDBOX_RECORDS = (
    "CONFIG proxy.config.admin.user_id STRING #-1\n"          # run as the test's user (root in CI)
    "CONFIG proxy.config.exec_thread.autoconfig INT 0\n"      # small and quick on a 2-core machine
    "CONFIG proxy.config.exec_thread.limit INT 1\n"
    "CONFIG proxy.config.cache.ram_cache.size INT 1048576\n"
)


def free_port(low: int = 30000, high: int = 33000) -> int:
    """A free loopback port inside a range the exchange's connect_ports admit (30000-33000)."""
    for port in range(low + os.getpid() % 500, high):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def traffic_server_installed() -> bool:
    return shutil.which("traffic_manager") is not None and shutil.which("traffic_ctl") is not None


def rewrite_records(records: str, listen_port: int, cert_dir: Path, dns_port: int, resolv_conf: Path) -> str:
    """Loopback listen address and certificates folder; DNS from the loopback server only (a resolv.conf
    naming no server, so the machine's resolver is never asked)."""
    records = re.sub(r"(proxy\.config\.http\.server_ports STRING )\S+",
                     rf"\g<1>{listen_port}:ssl:ip-in=127.0.0.1", records)
    records = records.replace(ats.CERT_DIR, str(cert_dir))
    return (records + SANDBOX_RECORDS + f"CONFIG proxy.config.dns.nameservers STRING 127.0.0.1:{dns_port}\n"
            f"CONFIG proxy.config.dns.resolv_conf STRING {resolv_conf}\n")


@dataclass(frozen=True)
class ExchangeRoutes:
    """What the exchange stack renders for routing: sni.yaml, and the name its party rule dials for
    each party that is a Service (party fqdn -> that DNS name)."""

    sni_yaml: str
    parties: dict[str, str]


def exchange_routes(run: Any) -> ExchangeRoutes:
    """The routes of a rendered exchange run: its sni.yaml ConfigMap and its party Services."""
    sni = run.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"]
    rule = re.search(r"^  tunnel_route: (\S*\$1\S*):\d+$", sni, re.MULTILINE)
    parties = {}
    for service in run.k8s_objects("Service"):
        party_id = (service["metadata"].get("labels") or {}).get(PARTY_ID_LABEL)
        if party_id and service["metadata"]["name"] == ats.party_route_service(int(party_id)):
            assert rule, f"a party Service but no party rule in sni.yaml:\n{sni}"
            parties[f"{party_id}.{run.outputs['domain']}"] = rule.group(1).replace("$1", party_id)
    return ExchangeRoutes(sni, parties)


def rewrite_routes(sni_yaml: str, backends: Mapping[str, int]) -> str:
    """Point each party's tunnel at its loopback backend; names the backends do not cover stay as is."""
    def replace(match: re.Match[str]) -> str:
        fqdn = match.group(1)
        if fqdn in backends:
            return f"- fqdn: {fqdn}\n  tunnel_route: 127.0.0.1:{backends[fqdn]}"
        return match.group(0)

    return re.sub(r"- fqdn: (\S+)\n  tunnel_route: \S+", replace, sni_yaml)


class KubeletVolume:
    """A directory laid out like a ConfigMap volume: files are symlinks into `..data`, swapped atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = 0
        path.mkdir(parents=True, exist_ok=True)

    def write(self, files: Mapping[str, str]) -> None:
        self.generation += 1
        version = self.path / f"..{self.generation:04d}"
        version.mkdir()
        for name, content in files.items():
            (version / name).write_text(content)
        tmp = self.path / "..data_tmp"
        tmp.symlink_to(version.name)
        os.replace(tmp, self.path / "..data")
        for name in files:
            link = self.path / name
            if not link.is_symlink():
                link.symlink_to(f"..data/{name}")


class TrafficServer:
    """The exchange's Traffic Server in a private folder, started by the exchange's own entry script."""

    def __init__(self, root: Path, *, config_files: Mapping[str, str], routes: ExchangeRoutes,
                 cert_files: Mapping[str, str], backends: Mapping[str, int],
                 poll_seconds: float = ats.RELOAD_POLL_SECONDS) -> None:
        self.root = root
        self.poll_seconds = poll_seconds
        self.listen_port = free_port()
        self.backends = dict(backends)
        for folder in ("etc", "cache", "var", "run", "log", "certs"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for name, content in cert_files.items():
            (root / "certs" / name).write_text(content)
        self.dns = LoopbackDns()
        resolv_conf = root / "resolv.conf"
        resolv_conf.write_text("# no nameserver: Traffic Server asks proxy.config.dns.nameservers only\n")
        files = dict(config_files)
        files["records.config"] = rewrite_records(files["records.config"], self.listen_port, root / "certs",
                                                  self.dns.port, resolv_conf)
        self.config_volume = KubeletVolume(root / "staged-config")
        self.config_volume.write(files)
        self.routes_volume = KubeletVolume(root / "staged-routes")
        self.update_routes(routes)
        layout = {"prefix": root, "exec_prefix": "/usr", "bindir": "/usr/bin", "sbindir": "/usr/sbin",
                  "sysconfdir": root / "etc", "datadir": root / "cache", "includedir": "/usr/include",
                  "libdir": "/usr/lib/trafficserver", "libexecdir": "/usr/lib/trafficserver/modules",
                  "localstatedir": root / "var", "runtimedir": root / "run", "logdir": root / "log",
                  "cachedir": root / "cache"}
        (root / "runroot.yaml").write_text("".join(f"{k}: {v}\n" for k, v in layout.items()))
        self.env = {**os.environ, "TS_RUNROOT": str(root), "ATS_CONFIG_DIR": str(root / "etc"),
                    "ATS_BIN_DIR": "/usr/bin", "ATS_STAGED_CONFIG_DIR": str(root / "staged-config"),
                    "ATS_STAGED_ROUTES_DIR": str(root / "staged-routes")}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.root / "entry.log", "ab")
        diags = self.root / "log" / "diags.log"
        diags.unlink(missing_ok=True)  # a restart must not read the last run's "running" line
        self.process = subprocess.Popen(["/bin/sh", "-c", ats.entrypoint_script(self.poll_seconds)], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"traffic server exited: {self.logs()}")
            # Under traffic_manager, probing the port before this line can crash-loop the server.
            if diags.exists() and "traffic server running" in diags.read_text(errors="replace"):
                if self._port_open():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"traffic server not ready after {timeout} s: {self.logs()}")

    def _port_open(self) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.listen_port)) == 0

    def server_pid(self) -> int | None:
        """The traffic_server process (a child of traffic_manager): the same PID means no restart."""
        out = subprocess.run(["pgrep", "-s", str(self.process.pid if self.process else 0), "-x", "traffic_server"],
                             capture_output=True, text=True)
        pids = out.stdout.split()
        return int(pids[0]) if pids else None

    def update_routes(self, routes: ExchangeRoutes, backends: Mapping[str, int] | None = None) -> None:
        """Apply a re-rendered exchange: its party Services become the DNS answers at once (cluster DNS),
        and sni.yaml is delivered the way kubelet delivers a changed ConfigMap (a no-op for the entry
        script when it did not change)."""
        self.backends.update(backends or {})
        self.dns.set_names({host: self.backends[fqdn] for fqdn, host in routes.parties.items()
                            if fqdn in self.backends})
        self.routes_volume.write({ats.SNI_FILENAME: rewrite_routes(routes.sni_yaml, self.backends)})

    def logs(self) -> str:
        parts = []
        for name in ("entry.log", "log/diags.log", "log/manager.log"):
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        """Stop Traffic Server and the DNS server standing for cluster DNS (which outlives a restart)."""
        self.stop()
        self.dns.close()

    def stop(self) -> None:
        """Stop Traffic Server (a pod restart: the DNS answers stay, `start` runs it again)."""
        if self.process is None:
            return
        session = self.process.pid
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)
        self.process = None
        # traffic_manager's child can outlive the entry script by a moment; a restart needs its server.lock.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = subprocess.run(["pgrep", "-s", str(session)], capture_output=True, text=True).stdout.split()
            if not left:
                return
            if time.monotonic() > deadline - 5:
                for pid in left:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.1)
