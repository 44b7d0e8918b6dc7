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
import subprocess
from collections.abc import Iterator

import pytest

from facts import names
from fedctl.cluster import STORAGE_CLASS
from tests.support.cluster import running_cluster
from tests.support.engine import Engine, engine_bin_dir
from tests.support.repository_federation import (NAMESPACES, STACKS, Federation, add_party_c, changes_of,
                                                 copy_program, edit_party, ready, uids)


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


def test_a_volume_growth_and_an_exposure_switch_apply_in_place(federation: Federation) -> None:
    """party-b's MySQL volume 1Gi -> 2Gi: refused before anything changes while the StorageClass cannot
    expand (the key, the class and the fix named), then grown in place once it can; in the same `up` its
    exposure moves from NodePort to LoadBalancer and the exchange routes it at the new address."""
    kube = federation.kube
    statefulsets = uids(federation, "statefulset", "party-b")
    edit_party(federation.project, "party-b", lambda party: party.setdefault("persistence", {}).setdefault(
        "sizes", {}).update(mysql="2Gi"))
    refused = federation.fedctl("up", *STACKS, "party-c", check=False)
    assert refused.returncode == 1
    assert "party.persistence.sizes.mysql" in refused.stderr and STORAGE_CLASS in refused.stderr, refused.stderr
    assert "allowVolumeExpansion" in refused.stderr
    assert kube.get("pvc", "data-mysql-0", "-n", "fate-10000")["spec"]["resources"]["requests"]["storage"] == "1Gi"

    kube.kubectl("patch", "storageclass", STORAGE_CLASS, "-p", '{"allowVolumeExpansion": true}')
    edit_party(federation.project, "party-b", lambda party: party.update(exposure={"type": "LoadBalancer"}))
    federation.fedctl("up", *STACKS, "party-c")
    assert kube.get("pvc", "data-mysql-0", "-n", "fate-10000")["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert uids(federation, "statefulset", "party-b") == statefulsets  # grown in place, not replaced
    pulsar = kube.get("service", names.PULSAR_PUBLIC_SERVICE, "-n", "fate-10000")
    address = pulsar["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert pulsar["spec"]["type"] == "LoadBalancer" and address.startswith("192.0.2.")
    status = federation.fedctl("status", *STACKS, "party-c")
    assert re.search(rf"10000\s+party-b\s+2\.0\.0\s+joined\s+routed\s+{re.escape(address)}:", status.stdout), \
        status.stdout


def test_destroy_keeps_the_parties_namespaces_and_claims_and_up_brings_them_back(federation: Federation) -> None:
    claims_before = {claim["metadata"]["name"]: claim["metadata"]["uid"]
                     for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    credentials_before = mysql_credentials(federation, "fate-10000")
    result = federation.fedctl("destroy", "--yes", "party-b")
    assert "destroy finished" in result.stdout, result.stdout
    assert not federation.kube.get("statefulset", "-n", "fate-10000")["items"]
    kept = {claim["metadata"]["name"]: claim["metadata"]["uid"]
            for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    assert kept == claims_before  # retainOnDestroy: the data volumes stay, the same claims
    assert mysql_credentials(federation, "fate-10000") == credentials_before  # and the passwords they know
    result = federation.fedctl("up", *STACKS, "party-c")
    assert "up finished" in result.stdout, result.stdout
    assert all(ready(pod) for pod in federation.pods("party-b").values())
    back = {claim["metadata"]["name"]: claim["metadata"]["uid"]
            for claim in federation.kube.get("pvc", "-n", "fate-10000")["items"]}
    assert back == claims_before  # the restored party runs on its old volumes
    # ... with the MySQL passwords its kept data directory knows (stacks/kept_secrets.py), never in clear
    assert mysql_credentials(federation, "fate-10000") == credentials_before
    for state in federation.engine.backend.rglob("*.json"):
        text = state.read_text()
        assert not any(password in text for password in credentials_before.values()), state
    status = federation.fedctl("status", *STACKS, "party-c")
    assert "3 parties, 3 joined" in status.stdout, status.stdout


def mysql_credentials(federation: Federation, namespace: str) -> dict[str, str]:
    """The party's MySQL passwords as the cluster holds them (components/fate_cluster.py)."""
    secret = federation.kube.get("secret", "mysql-credentials", "-n", namespace)
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def test_the_local_stack_deploys_on_its_own_cluster_and_a_second_up_changes_nothing(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pulumi.local.yaml (exchange and two parties in one cluster, wired by service DNS) on a cluster of its
    own (it uses the namespaces the federation stacks use), under the kubeconfig's current context."""
    root = tmp_path_factory.mktemp("local-stack")
    with running_cluster(root / "cluster") as kube:
        engine = Engine(engine_bin_dir(), root / "engine", extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        local = Federation(kube, engine, copy_program(root / "project"), subprocess.CompletedProcess([], 0))
        first = local.fedctl("up", "local")
        assert "up finished in 1 round: local" in first.stdout, first.stdout
        for stack in STACKS:  # the same namespaces, here all the local stack's
            pods = local.pods(stack)
            assert pods and all(ready(pod) for pod in pods.values()), sorted(pods)
        status = local.fedctl("status", "local")
        assert "2 parties, 2 joined" in status.stdout and "0 failing, 0 pending" in status.stdout, status.stdout
        again = local.fedctl("up", "local")
        assert not re.search(r"[+~-]\d", changes_of(again.stdout)["local"]), again.stdout

