"""The repository's own stacks (Pulumi.exchange.yaml, Pulumi.party-a.yaml, Pulumi.party-b.yaml), deployed by
`python -m fedctl up` -- what `make federation` runs -- through the REAL Pulumi engine and kubernetes
provider onto the embedded cluster: a real kube-apiserver with Pod Security admission, controllers and
scheduler; nodes and pods SIMULATED by kwok (no container runs: FATE's images cannot run here).

Two parts are not the real ones, because this machine cannot have them (docs/real-engine.md):
- the tls and random plugins are the project's STAND-INS (fedctl/plugin_doubles: real keys, certificates and
  passwords through the provider protocol; the published providers are refused by the Go module proxy);
- the Python language host is absent, so fedctl runs __main__.py as an Automation API inline program.

One cluster and one backend serve the module; the tests run in file order (deploy, no-op, secrets, a third
party, destroy and restore) and assert on what kubectl and the CLI show. Skips without the engine or the
cluster binaries, fails without them under `make test`/CI.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from facts import names
from tests.support.cluster import Cluster, running_cluster
from tests.support.engine import REPO, Engine, engine_bin_dir
from tests.support.plugin_doubles import doubles_dir

STACKS = ("exchange", "party-a", "party-b")
NAMESPACES = {"exchange": "fate-exchange", "party-a": "fate-9999", "party-b": "fate-10000", "party-c": "fate-10001"}
PROGRAM_PARTS = ("Pulumi.yaml", "__main__.py", "components", "facts", "jobs", "specs", "stacks")
FEDCTL_TIMEOUT_S = 1800


@dataclass
class Federation:
    kube: Cluster
    engine: Engine
    project: Path
    first_up: subprocess.CompletedProcess[str]

    def fedctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m fedctl ARGS` on the project copy, as `make federation` runs it."""
        command = [sys.executable, "-m", "fedctl", *args, "--project", str(self.project),
                   "--backend", f"file://{self.engine.backend}"]
        if args[0] in ("up", "preview", "destroy"):
            command += ["--stand-in-plugins", str(doubles_dir())]
        result = subprocess.run(command, cwd=REPO, env=self.engine.env(), capture_output=True, text=True,
                                timeout=FEDCTL_TIMEOUT_S)
        if check and result.returncode != 0:
            raise AssertionError(f"fedctl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def pods(self, stack: str) -> dict[str, dict[str, Any]]:
        return {pod["metadata"]["name"]: pod for pod in self.kube.get("pods", "-n", NAMESPACES[stack])["items"]}


def copy_program(target: Path) -> Path:
    """The program and the repository's stack files, nothing else (each copy gets its own encryption salts)."""
    target.mkdir(parents=True)
    for part in PROGRAM_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / part)
    for stack in STACKS:
        shutil.copy(REPO / f"Pulumi.{stack}.yaml", target / f"Pulumi.{stack}.yaml")
    return target


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("repository-stacks")
    engine_bin = engine_bin_dir()
    with running_cluster(root / "cluster") as kube:
        engine = Engine(engine_bin, root / "engine", extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        project = copy_program(root / "project")
        federation = Federation(kube, engine, project, subprocess.CompletedProcess([], 0))
        federation.first_up = federation.fedctl("up", *STACKS)
        yield federation


def changes_of(output: str) -> dict[str, str]:
    """`[round] stack: up ok +N ~N =N ...` lines -> stack -> its change summary, the last round's."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^\[\d+\] (\S+): up ok (.*?) \(", output, re.MULTILINE):
        found[match.group(1)] = match.group(2)
    return found


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def test_up_deploys_the_federation_in_bootstrap_order_and_every_pod_is_ready(federation: Federation) -> None:
    out = federation.first_up.stdout
    assert "using the project's STAND-IN plugins" in out and "inline program" in out
    # exchange (parties pending), parties (join), exchange (routes them), parties (read the routes), settled
    assert re.search(r"up finished in 3 rounds: exchange, party-a, party-b", out), out
    for stack in STACKS:
        pods = federation.pods(stack)
        assert pods and all(ready(pod) for pod in pods.values()), {n: p["status"].get("phase") for n, p in pods.items()}
        namespace = federation.kube.get("namespace", NAMESPACES[stack])
        assert namespace["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") in ("baseline", "restricted")
    party_a = federation.pods("party-a")
    assert sum(name.startswith("datanode-") for name in party_a) == 3  # Pulumi.party-a.yaml: hdfs.datanodes 3
    for stack in ("party-a", "party-b"):
        claims = federation.kube.get("pvc", "-n", NAMESPACES[stack])["items"]
        assert claims and all(claim["status"]["phase"] == "Bound" for claim in claims)
    mysql_a = federation.kube.get("pvc", "data-mysql-0", "-n", "fate-9999")
    assert mysql_a["spec"]["resources"]["requests"]["storage"] == "10Gi"  # persistence.sizes.mysql
    exchange = federation.kube.get("service", names.TRAFFIC_SERVER_SERVICE, "-n", "fate-exchange")
    assert exchange["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("192.0.2.")


def test_status_reports_both_parties_joined_and_routed(federation: Federation) -> None:
    result = federation.fedctl("status", *STACKS)
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s+\d+\s+party-", line)]
    assert sorted((row[0], row[1], row[3], row[4]) for row in rows) == [
        ("10000", "party-b", "joined", "routed"), ("9999", "party-a", "joined", "routed")], result.stdout
    assert "0 failing, 0 pending" in result.stdout


def test_the_exchange_holds_a_route_for_each_party(federation: Federation) -> None:
    """By the name the parties' certificates carry, in what the exchange's pods read (ConfigMaps) or reach
    (Services), whichever way the exchange routes."""
    kube = federation.kube
    seen = " ".join([str(item.get("data")) for item in kube.get("configmap", "-n", "fate-exchange")["items"]]
                    + [item["metadata"]["name"] for item in kube.get("service", "-n", "fate-exchange")["items"]])
    for party in ("9999", "10000"):
        assert f"{party}.fate.example.org" in seen or f"party-{party}" in seen, seen


def test_a_second_up_changes_nothing(federation: Federation) -> None:
    result = federation.fedctl("up", *STACKS)
    assert "up finished in 1 round:" in result.stdout, result.stdout
    for stack, summary in changes_of(result.stdout).items():
        assert not re.search(r"[+~-]\d", summary), f"{stack}: {summary}"


def test_no_secret_is_in_clear_in_the_state(federation: Federation) -> None:
    secret = federation.kube.get("secret", "mysql-credentials", "-n", "fate-9999")  # components/fate_cluster.py
    passwords = [base64.b64decode(value).decode() for value in secret["data"].values()]
    assert passwords and all(len(password) >= 16 for password in passwords)
    for state in federation.engine.backend.rglob("*.json"):
        text = state.read_text()
        assert "PRIVATE KEY-----" not in text, state
        for password in passwords:
            assert password not in text, state


def uids(federation: Federation, kind: str, stack: str) -> dict[str, str]:
    return {item["metadata"]["name"]: item["metadata"]["uid"]
            for item in federation.kube.get(kind, "-n", NAMESPACES[stack])["items"]}


def add_party_c(project: Path, fate_version: str) -> None:
    """A third party as a user adds one: its stack file (party-b's, another id, namespace and node address)
    and its entry in the exchange's parties."""
    config = yaml.safe_load((project / "Pulumi.party-b.yaml").read_text())
    party = config["config"]["fate-federation:party"]
    party.update(partyId=10001, namespace="fate-10001", fateVersion=fate_version)
    party["exposure"]["nodeAddress"] = "203.0.113.21"
    (project / "Pulumi.party-c.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    exchange_file = project / "Pulumi.exchange.yaml"
    exchange = yaml.safe_load(exchange_file.read_text())
    exchange["config"]["fate-federation:exchange"]["parties"].append({"stack": "organization/fate-federation/party-c"})
    exchange_file.write_text(yaml.safe_dump(exchange, sort_keys=False))


def test_a_third_party_on_fate_1_is_held_pending_then_upgraded_to_2_and_routed(federation: Federation) -> None:
    """Adding a party rolls nothing that runs; a party on FATE 1.11.2 beside a 2.0.0 exchange is held pending
    (not routed) while everything else keeps working; its upgrade to 2.0.0 rolls its own workloads onto the
    same claims and StatefulSets, and the exchange then routes it without a restart."""
    running = {stack: uids(federation, "pods", stack) for stack in STACKS}
    add_party_c(federation.project, "1.11.2")
    federation.fedctl("up", *STACKS, "party-c")
    assert {stack: uids(federation, "pods", stack) for stack in STACKS} == running
    assert all(ready(pod) for pod in federation.pods("party-c").values())
    status = federation.fedctl("status", *STACKS, "party-c", check=False)
    assert status.returncode == 1 and "runs FATE 1.11.2" in status.stdout, status.stdout

    claims, statefulsets = uids(federation, "pvc", "party-c"), uids(federation, "statefulset", "party-c")
    config = federation.project / "Pulumi.party-c.yaml"
    config.write_text(config.read_text().replace("fateVersion: 1.11.2", "fateVersion: 2.0.0"))
    federation.fedctl("up", *STACKS, "party-c")
    fateflow = federation.kube.get("statefulset", "fateflow", "-n", "fate-10001")
    assert all(c["image"].endswith(":2.0.0-release") for c in fateflow["spec"]["template"]["spec"]["containers"])
    assert (uids(federation, "pvc", "party-c"), uids(federation, "statefulset", "party-c")) == (claims, statefulsets)
    assert all(ready(pod) for pod in federation.pods("party-c").values())
    status = federation.fedctl("status", *STACKS, "party-c")
    assert re.search(r"10001\s+party-c\s+2\.0\.0\s+joined\s+routed", status.stdout), status.stdout
    traffic_server = {n: u for n, u in uids(federation, "pods", "exchange").items() if n.startswith("traffic-server")}
    assert traffic_server.items() <= running["exchange"].items()  # routed by name: no restart, no reload


def test_destroy_keeps_the_parties_namespaces_and_claims_and_up_brings_them_back(federation: Federation) -> None:
    claims_before = {claim["metadata"]["name"]: claim["metadata"]["uid"]
                     for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    result = federation.fedctl("destroy", "--yes", "party-b")
    assert "destroy finished" in result.stdout, result.stdout
    assert not federation.kube.get("statefulset", "-n", "fate-10000")["items"]
    kept = {claim["metadata"]["name"]: claim["metadata"]["uid"]
            for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    assert kept == claims_before  # retainOnDestroy: the data volumes stay, the same claims
    result = federation.fedctl("up", *STACKS, "party-c")
    assert "up finished" in result.stdout, result.stdout
    assert all(ready(pod) for pod in federation.pods("party-b").values())
    back = {claim["metadata"]["name"]: claim["metadata"]["uid"]
            for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    assert back == claims_before  # the restored party runs on its old volumes
    status = federation.fedctl("status", *STACKS, "party-c")
    assert "3 parties, 3 joined" in status.stdout, status.stdout
