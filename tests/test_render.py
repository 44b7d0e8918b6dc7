"""`python -m fedctl render`, the offline render, over the shipped stacks and over a tiny fixture program
(tests/fixtures/mini_program: hub signs the spoke's CSR). Test doubles: the Pulumi engine and the
Kubernetes API server (fedctl.mocks); certificates and passwords are real."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fedctl.__main__ import main
from fedctl.apiserver import EmulationError
from fedctl.records import EngineState
from fedctl.render import RenderError, findings, render_stacks, write
from tests.support.manifest_checks import ManifestError, validate_manifest
from tests.support.pulumi_harness import FIXTURE_PROGRAM, PROJECT_DIR, run_component, run_program, stack_ref


def render_into(tmp_path_factory: pytest.TempPathFactory, project: Path) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["render", "--out", str(out), "--project", str(project)]) == 0
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_into(tmp_path_factory, PROJECT_DIR)


def test_every_stack_gets_manifests_and_outputs(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == ["exchange", "local", "party-a", "party-b"]
    manifests = sorted(p.name for p in (rendered / "party-a" / "manifests").iterdir())
    assert "statefulset-fate-9999-fateflow.yaml" in manifests and "namespace-fate-9999.yaml" in manifests
    fateflow = yaml.safe_load((rendered / "party-a" / "manifests" / "statefulset-fate-9999-fateflow.yaml").read_text())
    assert fateflow["kind"] == "StatefulSet" and fateflow["metadata"]["namespace"] == "fate-9999"
    outputs = json.loads((rendered / "party-a" / "outputs.json").read_text())
    assert outputs["joinStatus"] == "joined"


def test_secrets_are_redacted(rendered: Path) -> None:
    secret = yaml.safe_load((rendered / "party-a" / "manifests" / "secret-fate-9999-mysql-credentials.yaml").read_text())
    assert set(secret["data"].values()) == {"[secret]"}  # written as data: components/fate_cluster.py
    outputs = json.loads((rendered / "party-a" / "outputs.json").read_text())
    assert outputs["fateboardPassword"] == "[secret]"
    text = "".join(p.read_text() for p in (rendered / "party-a" / "manifests").iterdir())
    assert "PRIVATE KEY" not in text


def test_show_secrets_and_real_certificates(tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(PROJECT_DIR), "--show-secrets"]) == 0
    cert = yaml.safe_load((tmp_path / "party-b" / "manifests" / "secret-fate-10000-pulsar-cert.yaml").read_text())
    assert cert["stringData"]["broker.key-pk8.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    ca = json.loads((tmp_path / "exchange" / "outputs.json").read_text())["caCertPem"]
    issued = x509.load_pem_x509_certificate(cert["stringData"]["broker.cert.pem"].encode())
    issued.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.encode()))


def test_config_error_is_reported_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (project / "__main__.py").symlink_to(PROJECT_DIR / "__main__.py")
    (project / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {
        "fate-federation:role": "party", "fate-federation:kubernetes": {"context": "x"},
        "fate-federation:party": {"partyId": 0}, "fate-federation:exchange": {"stack": "organization/p/e"}}}))
    assert main(["render", "--out", str(tmp_path / "out"), "--project", str(project)]) == 1
    error = capsys.readouterr().err
    assert "fate-federation:party.partyId" in error and "range" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out").exists()


# --- the renderer itself, on the fixture program ----------------------------------------------------

def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_into(tmp_path_factory, FIXTURE_PROGRAM)


def test_mini_manifests_are_written_one_per_object_and_are_valid(mini: Path) -> None:
    hub = sorted(p.name for p in (mini / "hub" / "manifests").iterdir())
    assert hub == ["namespace-hub.yaml", "service-hub-gateway.yaml"]
    spoke = sorted(p.name for p in (mini / "spoke" / "manifests").iterdir())
    assert spoke[0] == "namespace-spoke.yaml" and spoke[2] == "secret-spoke-spoke-tls.yaml"
    assert spoke[1].startswith("secret-spoke-db-credentials-")  # auto-named: logical name + hash
    for stack in ("hub", "spoke"):
        for path in (mini / stack / "manifests").iterdir():
            validate_manifest(read_yaml(path))


def test_auto_names_are_deterministic_and_marked(mini: Path, tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(FIXTURE_PROGRAM), "--stack", "spoke"]) == 0
    again = sorted(p.name for p in (tmp_path / "spoke" / "manifests").iterdir())
    assert again == sorted(p.name for p in (mini / "spoke" / "manifests").iterdir())
    [credentials] = (tmp_path / "spoke" / "manifests").glob("secret-spoke-db-credentials-*")
    assert read_yaml(credentials)["metadata"]["annotations"] == {"pulumi.com/autonamed": "true"}
    assert not (tmp_path / "hub").exists()  # --stack writes only that stack


def test_mini_secrets_are_redacted_keys_kept(mini: Path) -> None:
    [credentials] = (mini / "spoke" / "manifests").glob("secret-spoke-db-credentials-*")
    assert read_yaml(credentials)["stringData"] == {"password": "[secret]"}
    assert read_yaml(mini / "spoke" / "manifests" / "secret-spoke-spoke-tls.yaml")["stringData"] == {
        "ca.crt": "[secret]", "tls.crt": "[secret]", "tls.key": "[secret]"}
    outputs = json.loads((mini / "spoke" / "outputs.json").read_text())
    assert outputs["dbPassword"] == "[secret]" and outputs["joinStatus"] == "joined"
    assert "PRIVATE KEY" not in "".join(p.read_text() for p in (mini / "spoke").rglob("*.*"))


def test_show_secrets_writes_real_values_and_a_consistent_federation(tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(FIXTURE_PROGRAM), "--show-secrets"]) == 0
    [credentials] = (tmp_path / "spoke" / "manifests").glob("secret-spoke-db-credentials-*")
    password = read_yaml(credentials)["stringData"]["password"]
    assert len(password) == 24 and password.isalnum()  # passwordLength 24, special=False
    assert json.loads((tmp_path / "spoke" / "outputs.json").read_text())["dbPassword"] == password
    tls_secret = read_yaml(tmp_path / "spoke" / "manifests" / "secret-spoke-spoke-tls.yaml")["stringData"]
    hub = json.loads((tmp_path / "hub" / "outputs.json").read_text())
    ca = x509.load_pem_x509_certificate(hub["caCertPem"].encode())
    cert = x509.load_pem_x509_certificate(tls_secret["tls.crt"].encode())
    cert.verify_directly_issued_by(ca)  # the hub signed in round 2 the key the spoke made in round 1 ...
    key = serialization.load_pem_private_key(tls_secret["tls.key"].encode(), None)
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*der) == key.public_key().public_bytes(*der)  # ... and still holds it
    assert tls_secret["ca.crt"] == hub["caCertPem"]
    assert hub["gatewayHost"].startswith("192.0.2.") and hub["pending"] == []


def test_resource_state_persists_across_runs_like_pulumi_state() -> None:
    """Same state: the key and password survive the next run; fresh state: new ones."""
    state = EngineState()
    hub_outputs = {stack_ref("hub", FIXTURE_PROGRAM): {"domain": "mini.example.org"}}

    def run(with_state: EngineState) -> Any:
        return run_program("spoke", stack_outputs=hub_outputs, state=with_state, project_dir=FIXTURE_PROGRAM)

    first, second, fresh = run(state), run(state), run(EngineState())
    assert first.outputs["csrPem"] == second.outputs["csrPem"] != fresh.outputs["csrPem"]
    assert first.outputs["dbPassword"] == second.outputs["dbPassword"] != fresh.outputs["dbPassword"]
    assert second.outputs["joinStatus"] == "awaiting-certificate"


def test_stack_reference_to_a_missing_stack_has_no_outputs(tmp_path: Path) -> None:
    run = run_program("spoke", project_dir=FIXTURE_PROGRAM)
    assert run.outputs["joinStatus"] == "awaiting-hub" and "csrPem" not in run.outputs
    assert main(["render", "--out", str(tmp_path), "--project", str(FIXTURE_PROGRAM), "--stack", "spoke",
                 "--isolated"]) == 0
    assert json.loads((tmp_path / "spoke" / "outputs.json").read_text())["joinStatus"] == "awaiting-hub"


def test_stack_reference_outputs_keep_their_secrecy() -> None:
    ref = "organization/fate-federation/elsewhere"

    def program() -> dict[str, Any]:
        other = pulumi.StackReference("elsewhere", stack_name=ref)
        return {"plain": other.get_output("a"), "hidden": other.get_output("b"), "missing": other.get_output("c")}

    run = run_component(program, stack_outputs={ref: {"a": 1, "b": "s3cret"}}, secret_output_names={ref: ["b"]})
    assert run.outputs == {"plain": 1, "hidden": "s3cret"}  # a missing output is None, and None is not exported
    assert run.secret_outputs == {"hidden"}


def test_preview_gives_no_computed_values_and_changes_no_state() -> None:
    state = EngineState()
    run = run_program("hub", project_dir=FIXTURE_PROGRAM, preview=True, state=state)
    assert state.resources == {} and state.load_balancer_addresses == {}
    assert run.k8s_object("Service", "gateway", "hub")["spec"]["type"] == "LoadBalancer"
    assert isinstance(run.raw_outputs["caCertPem"], pulumi.output.Unknown)  # no certificate before `up`
    assert isinstance(run.raw_outputs["gatewayHost"], pulumi.output.Unknown)  # no address before `up`


def test_summary_and_warnings_are_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(FIXTURE_PROGRAM)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("hub: 2 objects") and " s (last of 3 runs" in printed[0]
    assert printed[1].startswith("spoke: 3 objects, joined")
    assert printed[2] == "  warning: encrypted config left out (not decryptable offline): mini-federation:spoke.apiToken"
    assert "no CSR yet" not in "\n".join(printed)  # round-1 warnings are history, not the result


def write_project(root: Path, program: str, stacks: dict[str, dict[str, Any]]) -> Path:
    """A throwaway project: Pulumi.yaml (project `scratch`), __main__.py and stack files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    for stack, config in stacks.items():
        (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


def test_a_failing_stack_reads_cleanly_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROGRAM, project)
    bad = read_yaml(project / "Pulumi.spoke.yaml")
    bad["config"]["mini-federation:spoke"]["name"] = "Spoke_1"
    (project / "Pulumi.spoke.yaml").write_text(yaml.safe_dump(bad))
    command = [sys.executable, "-m", "fedctl", "render", "--out", str(tmp_path / "out"), "--project", str(project)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: stack spoke: mini-federation:spoke.name: 'Spoke_1' is not a DNS label: "
                                     "use lowercase letters, digits and '-'")
    debug = subprocess.run(command + ["--debug"], capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "ValueError" in debug.stderr


def test_unknown_stack_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["render", "--out", str(tmp_path), "--project", str(FIXTURE_PROGRAM), "--stack", "nope"]) == 1
    assert "no stack file for nope: the stacks in" in capsys.readouterr().err


def test_a_federation_that_never_settles_is_an_error(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", """
        import secrets
        import pulumi

        async def main():
            pulumi.StackReference("peer", stack_name="organization/scratch/peer")  # so it runs every round
            return {"nonce": secrets.token_hex(8)}  # changes every run: nothing to converge on

        pulumi.run(main)
    """, {"only": {"scratch:role": "party"}})
    with pytest.raises(RenderError, match="did not settle in 3 rounds: the outputs of only still change"):
        render_stacks(project, max_rounds=3)


def test_two_objects_with_one_file_name_are_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", """
        import pulumi
        import pulumi_kubernetes as k8s

        async def main():
            for logical in ("first", "second"):
                k8s.core.v1.ConfigMap(logical, metadata={"name": "same", "namespace": "ns"}, data={"a": logical})
            secret = {"token": pulumi.Output.secret("hunter2")}
            k8s.core.v1.ConfigMap("leaky", metadata={"name": "leaky", "namespace": "ns"}, data=secret)
            return {}

        pulumi.run(main)
    """, {"only": {}})
    [rendered] = render_stacks(project)
    assert findings(rendered) == ["ConfigMap ns/leaky holds a secret value: keep secrets in Secrets"]
    with pytest.raises(RenderError, match="two objects would be written as configmap-ns-same.yaml"):
        write(rendered, tmp_path / "out", show_secrets=False)


# --- what the emulated API server assigns -----------------------------------------------------------

def service(name: str, kind: str, ports: list[dict[str, Any]]) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(name, metadata={"name": name, "namespace": "ns"},
                               spec={"type": kind, "selector": {"app": name}, "ports": ports})


def test_node_ports_given_ones_kept_others_deterministic_and_unique() -> None:
    def program() -> dict[str, Any]:
        fixed = service("fixed", "NodePort", [{"name": "http", "port": 80, "node_port": 30080}])
        auto = service("auto", "NodePort", [{"name": "http", "port": 80}, {"name": "grpc", "port": 90}])
        return {"fixed": fixed.spec.ports[0].node_port, "auto": auto.spec.apply(lambda s: [p.node_port for p in s.ports])}

    first, again = run_component(program), run_component(program)
    assert first.outputs["fixed"] == 30080
    ports = first.outputs["auto"]
    assert all(30000 <= p <= 32767 for p in ports) and len({*ports, 30080}) == 3
    assert again.outputs == first.outputs


@pytest.mark.parametrize(("ports", "message"), [
    ([{"name": "a", "port": 80, "node_port": 8080}], "nodePort 8080 is outside 30000-32767"),
    ([{"name": "a", "port": 80, "node_port": 30001}, {"name": "b", "port": 81, "node_port": 30001}],
     "nodePort 30001 is already allocated"),
])
def test_node_ports_the_api_server_would_refuse(ports: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(EmulationError, match=message):
        run_component(lambda: {"svc": service("svc", "NodePort", ports).id})


def test_load_balancer_addresses_are_unique_documentation_addresses() -> None:
    def program() -> dict[str, Any]:
        return {f"lb{i}": service(f"lb{i}", "LoadBalancer", [{"port": 443}]).status.load_balancer.ingress[0].ip
                for i in range(40)}

    addresses = list(run_component(program).outputs.values())
    assert len(set(addresses)) == 40 and all(a.startswith("192.0.2.") for a in addresses)


def test_immutable_config_maps_get_a_new_name_when_their_data_changes() -> None:
    state = EngineState()

    def program(data: str) -> Any:
        return lambda: {"name": k8s.core.v1.ConfigMap("conf", metadata={"namespace": "ns"}, data={"k": data})
                        .metadata.name}

    first = run_component(program("one"), state=state).outputs["name"]
    assert first.startswith("conf-") and run_component(program("one"), state=state).outputs["name"] == first
    assert run_component(program("two"), state=state).outputs["name"] != first


def test_validate_manifest_names_the_object_and_field() -> None:
    with pytest.raises(ManifestError, match=r"ConfigMap ns/conf: \(top level\): Additional properties .*'dat'"):
        validate_manifest({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "namespace": "ns"},
                           "dat": {}})
    with pytest.raises(ManifestError, match="Kubernetes 1.31.0 has no extensions/v1beta1 Ingress"):
        validate_manifest({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "x"}})


def test_reads_of_existing_objects_come_from_existing_objects_or_warn() -> None:
    """Objects outside the program (`.get`) are not visible offline unless a test hands them over."""

    def program() -> dict[str, Any]:
        found = k8s.core.v1.Secret.get("pki", "fate-exchange/our-pki")
        return {"data": found.data}

    given = run_component(program, existing_objects={"Secret/fate-exchange/our-pki": {"data": {"ca.crt": "Q0E="}}})
    assert given.outputs["data"] == {"ca.crt": "Q0E="} and given.k8s_objects() == [] and given.warnings == []
    unseen = run_component(program)
    assert "data" not in unseen.outputs
    assert unseen.warnings == ["Secret fate-exchange/our-pki is read from the cluster: not visible offline, "
                               "rendered empty"]
