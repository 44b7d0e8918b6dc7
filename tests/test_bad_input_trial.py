"""The bad-input trial of issue 8, replayed the way users hit it: the real program (`pulumi up` of a
stack under the SDK's mocks, tests/support/pulumi_harness.py) and the offline render over stack files.

Every refusal must (1) stop the run with a pulumi.RunError (the CLI shows it without a traceback),
(2) before any resource is registered (reads of other stacks' outputs are not resources), (3) name the
config key as `pulumi config set --path` takes it, (4) say the fix, and (5) never name an internal
field instead of the key. Each case id is an entry of docs/bad-input.md (tests/test_config.py checks
the catalogue against these ids too). Test doubles: the Pulumi engine and the API server (fedctl.mocks).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.fateconf.fate_dag import toy_example_v1
from fedctl.mocks import STACK_REFERENCE, FederationMocks
from fedctl.render import RenderError, findings, render_stacks
from tests.support.pulumi_harness import PROJECT_DIR, run_program, shipped_config, stack_ref

NS = "fate-federation"
PARTY, EXCHANGE, LOCAL = f"{NS}:party", f"{NS}:exchange", f"{NS}:local"
INTERNAL_NAMES = ("proxy_host", "spark_master", "hdfs_namenode", "StaticEndpoint", "StaticNginx", "fateboard.username",
                  "instance of", "Input should be")
"""Words that name our Python internals (or pydantic's phrasing of them), never a config key."""

Change = Callable[[dict[str, Any], Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    stack: str
    change: Change
    key: str
    """The config key the message must name (with the `fate-federation:` prefix)."""
    fix: tuple[str, ...]
    """Words of the fix the message must give."""
    secret_keys: tuple[str, ...] = ()
    federation: str | None = None
    """Other stacks' outputs the run sees: None, "joined" (party-a/b and the exchange), "party-b-1.x"."""


def party(**values: Any) -> Change:
    """Set `party.<key>` values (nested keys as dicts)."""
    return lambda config, _tmp: config[PARTY].update(copy.deepcopy(values))


def exchange(**values: Any) -> Change:
    return lambda config, _tmp: config[EXCHANGE].update(copy.deepcopy(values))


def top(key: str, value: Any) -> Change:
    def change(config: dict[str, Any], _tmp: Path) -> None:
        config[f"{NS}:{key}"] = value
    return change


def both(*changes: Change) -> Change:
    def change(config: dict[str, Any], tmp: Path) -> None:
        for one in changes:
            one(config, tmp)
    return change


def dag_job(text: str | Callable[[], str]) -> Change:
    """party.jobs: one job whose dagFile holds `text`."""
    def change(config: dict[str, Any], tmp: Path) -> None:
        path = tmp / "job.yaml"
        path.write_text(text() if callable(text) else text)
        config[PARTY]["jobs"] = [{"name": "trial", "dagFile": str(path)}]
    return change


def toy_dag(guest: str = "9999", host: str = "10000") -> str:
    return (f"schema_version: 2.0.0.alpha\ndag:\n  stage: default\n  parties:\n"
            f"    - {{role: guest, party_id: ['{guest}']}}\n    - {{role: host, party_id: ['{host}']}}\n"
            "  tasks:\n    toy_example_0:\n      component_ref: toy_example\n")


def v1_job(guest: int = 9999, host: int = 10000) -> Change:
    """party.jobs: FATE 1.x's toy job as a DSL file and a runtime conf file."""
    def change(config: dict[str, Any], tmp: Path) -> None:
        dsl, conf = toy_example_v1(guest, host)
        (tmp / "dsl.json").write_text(json.dumps(dsl))
        (tmp / "conf.json").write_text(json.dumps(conf))
        config[PARTY]["jobs"] = [{"name": "trial", "dslFile": str(tmp / "dsl.json"),
                                  "runtimeConfFile": str(tmp / "conf.json")}]
    return change


def alias_bomb(levels: int) -> str:
    """The classic YAML bomb (9 levels: ~1.3 KB of text, 9**9 leaves once expanded) inside a DAG."""
    lines = ['schema_version: 2.0.0.alpha', 'bomb:', '  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 9) + "]")
    return toy_dag() + "\n".join(lines[1:]) + "\n"


def chain_dag(length: int, *, cycle: bool = False) -> str:
    """A chain of `length` tasks, each depending on the next one listed (so listed in reverse order)."""
    tasks = {}
    for index in range(length):
        dependency = index + 1 if index + 1 < length else (0 if cycle else None)
        task: dict[str, Any] = {"component_ref": "toy_example"}
        if dependency is not None:
            task["dependent_tasks"] = [f"t{dependency}"]
        tasks[f"t{index}"] = task
    return json.dumps({"schema_version": "2.0.0", "dag": {
        "parties": [{"role": "guest", "party_id": ["9999"]}, {"role": "host", "party_id": ["10000"]}],
        "stage": "default", "tasks": tasks}})


def kubeconfig_file(text: str) -> Change:
    def change(config: dict[str, Any], tmp: Path) -> None:
        path = tmp / "kubeconfig"
        path.write_text(text)
        config[f"{NS}:kubernetes"] = {"kubeconfigPath": str(path)}
    return change


def kubernetes(**values: Any) -> Change:
    """Add `kubernetes.<key>` values beside the stack file's context."""
    return lambda config, _tmp: config.setdefault(f"{NS}:kubernetes", {}).update(values)


def local_party(index: int, **values: Any) -> Change:
    return lambda config, _tmp: config[LOCAL]["parties"][index].update(values)


STATIC_EXCHANGE = {"domain": "fate.example.org", "trafficServer": {"host": "198.51.100.1", "port": 443},
                   "nginx": {"host": "198.51.100.1"}}
STATIC_PARTY = {"partyId": 10000, "pulsarTls": {"host": "198.51.100.9", "port": 6651},
                "nginx": {"host": "198.51.100.9"}}


def static_exchange(**values: Any) -> Change:
    return top("exchange", {"static": {**copy.deepcopy(STATIC_EXCHANGE), **values}})


def certificate_for(common_name: str) -> str:
    """A self-signed certificate for `common_name` (the shape an exchange operator would hand over)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


LONG_DOMAIN = ".".join(["a" * 60] * 4)  # 243 characters: a DNS name, but 9999.fateboard.<it> is 258
MINIMAL_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]
contexts: [{name: party-a, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t0ken-not-shown}}]
current-context: party-a
"""

REFUSED: list[Case] = [
    # --- crashes ---------------------------------------------------------------------------------------
    Case("pki-validity-overflow", "exchange", exchange(pki={"certificateValidityHours": 1000000000}),
         f"{EXCHANGE}.pki.certificateValidityHours", ("at most",)),
    Case("dag-long-cycle", "party-a", dag_job(lambda: chain_dag(1000, cycle=True)), f"{PARTY}.jobs[0].dagFile",
         ("dependency cycle",)),
    # --- hangs and YAML ----------------------------------------------------------------------------------
    Case("dag-yaml-alias", "party-a", dag_job(alias_bomb(6)), f"{PARTY}.jobs[0].dagFile", ("alias",)),
    Case("dag-duplicate-key", "party-a", dag_job(toy_dag() + "schema_version: 2.0.0\n"),
         f"{PARTY}.jobs[0].dagFile", ("schema_version", "twice")),
    # --- accepted wrongly ---------------------------------------------------------------------------------
    *[Case(f"namespace-reserved-{name}", "party-a", party(namespace=name), f"{PARTY}.namespace", ("its own",))
      for name in ("kube-system", "default", "kube-public", "kube-node-lease")],
    Case("exchange-namespace-reserved", "exchange", exchange(namespace="kube-system"), f"{EXCHANGE}.namespace",
         ("its own",)),
    Case("kubefate-namespace-reserved", "party-a", party(kubefate={"enabled": True, "namespace": "default"}),
         f"{PARTY}.kubefate.namespace", ("its own",)),
    Case("top-level-key-unknown", "party-a", top("partys", {"partyId": 1}), f"{NS}:partys", ("spelling",)),
    Case("resources-module-unknown", "party-a", party(resources={"fateflw": {"cpu": "2", "memory": "4Gi"}}),
         f"{PARTY}.resources.fateflw", ("fateflow",)),
    Case("existing-claims-without-persistence", "party-a",
         party(persistence={"enabled": False, "existingClaims": {"mysql": "mysql-data"}}),
         f"{PARTY}.persistence.existingClaims", ("persistence.enabled",)),
    Case("size-zero", "party-a", party(persistence={"sizes": {"mysql": "0Gi"}}),
         f"{PARTY}.persistence.sizes.mysql", ("at least",)),
    Case("size-huge", "party-a", party(persistence={"sizes": {"mysql": "999999999Ei"}}),
         f"{PARTY}.persistence.sizes.mysql", ("at most",)),
    Case("spark-workers-huge", "party-a", party(spark={"workers": 100000}), f"{PARTY}.spark.workers", ("at most",)),
    Case("hdfs-datanodes-huge", "party-a", party(hdfs={"datanodes": 100000}), f"{PARTY}.hdfs.datanodes",
         ("at most",)),
    Case("node-address-not-address", "party-a",
         party(exposure={"type": "NodePort", "nodeAddress": "not an address!"}), f"{PARTY}.exposure.nodeAddress",
         ("IP address",)),
    Case("load-balancer-annotation-key-invalid", "party-a",
         party(exposure={"type": "LoadBalancer", "loadBalancerAnnotations": {"bad key!": "true"}}),
         f"{PARTY}.exposure.loadBalancerAnnotations.bad key!", ("annotation key",)),
    Case("party-exposure-cluster-ip", "party-a", party(exposure={"type": "ClusterIP"}), f"{PARTY}.exposure.type",
         ("local stack",)),
    Case("exchange-exposure-cluster-ip", "exchange", exchange(exposure={"type": "ClusterIP"}),
         f"{EXCHANGE}.exposure.type", ("local stack",)),
    Case("ingress-host-too-long", "party-a", party(ingress={"enabled": True, "domain": LONG_DOMAIN}),
         f"{PARTY}.ingress.domain", ("253",)),
    Case("ingress-class-empty", "party-a", party(ingress={"enabled": True, "domain": "fate.example.org",
                                                          "className": ""}),
         f"{PARTY}.ingress.className", ("DNS name",)),
    Case("storage-class-invalid", "party-a", party(persistence={"storageClass": "Fast SSD!"}),
         f"{PARTY}.persistence.storageClass", ("lower-case",)),
    Case("fateflow-url-port-too-large", "party-a", party(fateflowUrl="http://127.0.0.1:99999"),
         f"{PARTY}.fateflowUrl", ("65535",)),
    Case("image-not-a-reference", "exchange", exchange(trafficServerImage="not an image::"),
         f"{EXCHANGE}.trafficServerImage", ("e.g.",)),
    Case("registry-not-a-path", "party-a", party(registry="not a registry!"), f"{PARTY}.registry",
         ("harbor.example.com/federatedai",)),
    Case("leaf-outlives-ca", "exchange", exchange(pki={"certificateValidityHours": 24 * 365 * 20,
                                                      "caValidityHours": 24 * 365}),
         f"{EXCHANGE}.pki.certificateValidityHours", ("caValidityHours",)),
    Case("kubeconfig-path-unreadable", "party-a", top("kubernetes", {"kubeconfigPath": "/nonexistent/kubeconfig"}),
         f"{NS}:kubernetes.kubeconfigPath", ("cannot read",)),
    Case("kubeconfig-file-not-yaml", "party-a", kubeconfig_file("clusters: [unclosed\n"),
         f"{NS}:kubernetes.kubeconfigPath", ("kubeconfig",)),
    Case("kubeconfig-secret-not-yaml", "party-a", both(top("kubeconfig", "{{ t0ken-not-shown"),
                                                       top("kubernetes", {})),
         f"{NS}:kubeconfig", ("pulumi config set --secret kubeconfig",), secret_keys=("kubeconfig",)),
    Case("verification-peer-is-self", "party-a", party(verification={"enabled": True, "peerPartyId": 9999}),
         f"{PARTY}.verification.peerPartyId", ("another party",)),
    Case("verification-peer-outside-federation", "party-a",
         party(verification={"enabled": True, "peerPartyId": 7777}), f"{PARTY}.verification.peerPartyId",
         ("10000",), federation="joined"),
    Case("dag-file-on-fate-1", "party-a", both(party(fateVersion="1.11.2"), dag_job(toy_dag())),
         f"{PARTY}.jobs[0].dagFile", ("1.x",)),
    Case("dsl-file-on-fate-2", "party-a", v1_job(), f"{PARTY}.jobs[0].dslFile", ("dagFile",)),
    Case("local-mixed-fate-versions", "local", local_party(0, fateVersion="1.11.2"), f"{LOCAL}.parties",
         ("one FATE version",)),
    Case("exchange-static-party-other-fate", "exchange",
         exchange(parties=[{"static": {**STATIC_PARTY, "fateVersion": "1.11.2"}}]),
         f"{EXCHANGE}.parties[0].static.fateVersion", ("nginxFateVersion",)),
    Case("dag-party-outside-federation", "party-a", dag_job(toy_dag(host="7777")), f"{PARTY}.jobs[0].dagFile",
         ("7777", "not a party of the federation"), federation="joined"),
    Case("dag-without-this-party", "party-a", dag_job(toy_dag(guest="10000", host="10001")),
         f"{PARTY}.jobs[0].dagFile", ("9999",)),
    Case("external-mysql-password-plain", "party-a",
         both(party(mysql={"external": {"host": "db.example.org"}}), top("externalMysqlPassword", "hunter2")),
         f"{NS}:externalMysqlPassword", ("pulumi config set --secret externalMysqlPassword",)),
    Case("kubeconfig-plain", "party-a", top("kubeconfig", MINIMAL_KUBECONFIG), f"{NS}:kubeconfig",
         ("pulumi config set --secret kubeconfig",)),
    # --- unclear before ------------------------------------------------------------------------------
    Case("fate-version-float", "party-a", party(fateVersion=2.0), f"{PARTY}.fateVersion",
         ("2.0.0, 1.11.2", "quote")),
    Case("size-without-unit", "party-a", party(persistence={"sizes": {"mysql": 10}}),
         f"{PARTY}.persistence.sizes.mysql", ("10Gi",)),
    Case("static-exchange-host-invalid", "party-a",
         static_exchange(trafficServer={"host": "bad host!", "port": 443}),
         f"{EXCHANGE}.static.trafficServer.host", ("host name or IP address",)),
    Case("static-exchange-endpoint-not-object", "party-a", static_exchange(trafficServer="198.51.100.1:443"),
         f"{EXCHANGE}.static.trafficServer", ("host", "port")),
    Case("external-spark-master-not-url", "party-a", party(spark={"external": {"master": "spark-master:7077"}}),
         f"{PARTY}.spark.external.master", ("spark://",)),
    Case("external-hdfs-not-url", "party-a", party(hdfs={"external": {"nameNode": "namenode:9000"}}),
         f"{PARTY}.hdfs.external.nameNode", ("hdfs://",)),
    Case("external-pulsar-host-invalid", "party-a", party(pulsar={"external": {"host": "bad host!"}}),
         f"{PARTY}.pulsar.external.host", ("host name or IP address",)),
    Case("external-mysql-database-empty", "party-a",
         both(party(mysql={"external": {"host": "db.example.org", "database": ""}}),
              top("externalMysqlPassword", "hunter2")),
         f"{PARTY}.mysql.external.database", ("one line",), secret_keys=("externalMysqlPassword",)),
    Case("external-mysql-password-multiline", "party-a",
         both(party(mysql={"external": {"host": "db.example.org"}}), top("externalMysqlPassword", "hunter2\nx")),
         f"{NS}:externalMysqlPassword", ("one line", "pulumi config set --secret externalMysqlPassword"),
         secret_keys=("externalMysqlPassword",)),
    Case("exchange-domain-one-label", "exchange", exchange(domain="fate"), f"{EXCHANGE}.domain",
         ("fate.example.org",)),
    Case("static-exchange-domain-one-label", "party-a", static_exchange(domain="fate"), f"{EXCHANGE}.static.domain",
         ("fate.example.org",)),
    Case("static-exchange-certificate-other-party", "party-a",
         static_exchange(certificatePem=certificate_for("10000.fate.example.org")),
         f"{EXCHANGE}.static.certificatePem", ("csrPem", "9999.fate.example.org")),
    Case("fateboard-username-multiline", "party-a", party(fateboardUsername="ad\nmin"), f"{PARTY}.fateboardUsername",
         ("one line",)),
    Case("dag-file-is-fate-1-dsl", "party-a",
         dag_job("components:\n  secure_add_example_0: {module: SecureAddExample}\n"),
         f"{PARTY}.jobs[0].dagFile", ("1.x", "dslFile")),
    Case("await-timeout-too-short", "party-a", kubernetes(awaitTimeoutSeconds=5),
         f"{NS}:kubernetes.awaitTimeoutSeconds", ("at least 10", "at most 21600")),
    Case("await-timeout-with-unit", "exchange", kubernetes(awaitTimeoutSeconds="10m"),
         f"{NS}:kubernetes.awaitTimeoutSeconds", ("whole number", "600")),
]
TRIAL_IDS = frozenset(case.id for case in REFUSED)


def _outputs(stack: str, config: dict[str, Any] | None = None,
             stack_outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return run_program(stack, config, stack_outputs=stack_outputs).outputs


@pytest.fixture(scope="module")
def federations() -> dict[str, dict[str, dict[str, Any]]]:
    """Stack outputs other stacks read: party-a and party-b listed by the exchange ("joined"); party-b on
    FATE 1.11.2 ("party-b-1.x")."""
    first = {stack_ref("exchange"): _outputs("exchange")}
    refs = {stack_ref(stack): _outputs(stack, stack_outputs=first) for stack in ("party-a", "party-b")}
    joined = {stack_ref("exchange"): _outputs("exchange", stack_outputs=refs), **refs}
    old_b = shipped_config("party-b")
    old_b[PARTY]["fateVersion"] = "1.11.2"
    old_b[PARTY]["verification"] = {"enabled": False}
    return {"joined": joined, "party-b-1.x": {**refs, stack_ref("party-b"): _outputs("party-b", old_b, first)}}


def test_a_party_stack_on_the_other_fate_generation_is_held_pending_not_refused(
        federations: dict[str, dict[str, dict[str, Any]]]) -> None:
    """party-b exports FATE 1.11.2, the exchange's nginx is 2.0.0: the exchange's own config is valid, so it
    runs, routes party-a and holds party-b unrouted with the reason (a rolling FATE upgrade passes here)."""
    outputs = _outputs("exchange", stack_outputs=federations["party-b-1.x"])
    parties = outputs["parties"]
    assert parties["9999"]["status"] == "routed"
    held = parties["10000"]
    assert held["status"] == "pending" and "certificatePem" not in held
    assert "runs FATE 1.11.2" in held["reason"] and "exchange.nginxFateVersion" in held["reason"]


class Registrations:
    """The resources a run registered (reads of other stacks' outputs left out)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.types: list[str] = []
        original = FederationMocks.new_resource

        def spy(mocks: FederationMocks, args: Any) -> Any:
            if args.typ != STACK_REFERENCE:
                self.types.append(args.typ)
            return original(mocks, args)

        monkeypatch.setattr(FederationMocks, "new_resource", spy)


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> Registrations:
    return Registrations(monkeypatch)


def refusal(case: Case, tmp_path: Path, registrations: Registrations,
            federations: dict[str, dict[str, dict[str, Any]]] | None) -> str:
    config = shipped_config(case.stack)
    case.change(config, tmp_path)
    outputs = federations[case.federation] if case.federation and federations else None
    registrations.types.clear()  # the module's fixtures ran programs of their own
    with pytest.raises(pulumi.RunError) as error:
        run_program(case.stack, config, secret_keys=list(case.secret_keys), stack_outputs=outputs)
    assert registrations.types == [], f"registered before refusing: {registrations.types}"
    return str(error.value)


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_bad_input_is_refused_with_key_and_fix_before_any_resource(case: Case, tmp_path: Path,
                                                                  registrations: Registrations,
                                                                  request: pytest.FixtureRequest) -> None:
    federations = request.getfixturevalue("federations") if case.federation else None
    message = refusal(case, tmp_path, registrations, federations)
    assert case.key in message, message
    for words in case.fix:
        assert words in message, message
    for internal in INTERNAL_NAMES:
        assert internal not in message, message
    assert "t0ken-not-shown" not in message and "hunter2" not in message


# --- accepted, and right ---------------------------------------------------------------------------


def test_a_long_dag_listed_in_reverse_is_checked_without_recursion(tmp_path: Path) -> None:
    """A valid chain of 1,000 tasks, each listed before the task it depends on, is submitted as it is."""
    config = shipped_config("party-a")
    dag_job(lambda: chain_dag(1000))(config, tmp_path)
    run = run_program("party-a", config)
    job = [r for r in run.resources if r.name == "job-trial"]
    assert len(job) == 1 and len(job[0].inputs["dag"]["dag"]["tasks"]) == 1000


def test_a_fate_1_party_runs_1x_jobs_from_its_files(tmp_path: Path) -> None:
    config = shipped_config("party-a")
    config[PARTY]["fateVersion"] = "1.11.2"
    v1_job()(config, tmp_path)
    [job] = [r for r in run_program("party-a", config).resources if r.name == "job-trial"]
    assert job.inputs.get("dag") is None
    assert job.inputs["runtime_conf"]["role"] == {"guest": [9999], "host": [10000]}
    assert job.inputs["dsl"] == toy_example_v1(9999, 10000)[0]


def test_a_local_fate_1_federation_gets_a_fate_1_exchange() -> None:
    """All local parties on 1.11.2: the exchange's nginx follows them (no 1.x/2.x mix by default)."""
    config = shipped_config("local")
    for entry in config[LOCAL]["parties"]:
        entry["fateVersion"] = "1.11.2"
    run = run_program("local", config)
    images = {c["image"] for o in run.k8s_objects("Deployment", namespace="fate-exchange")
              for c in o["spec"]["template"]["spec"]["containers"]}
    assert "federatedai/nginx:1.11.2-release" in images


def test_verification_on_fate_1_runs_the_1x_toy_job() -> None:
    """A 1.11.2 federation's verification job is FATE 1.x's toy job (dsl + runtime_conf), not the 2.x DAG
    FATE Flow 1.11.2 has no API for."""
    overrides = {}
    for stack in ("party-a", "party-b"):
        config = shipped_config(stack)
        config[PARTY]["fateVersion"] = "1.11.2"
        if stack == "party-a":
            config[PARTY]["verification"]["enabled"] = True  # off in the stack file (embedded cluster)
        overrides[stack] = {PARTY: config[PARTY]}
    exchange_config = shipped_config("exchange")
    overrides["exchange"] = {EXCHANGE: {**exchange_config[EXCHANGE], "nginxFateVersion": "1.11.2"}}
    rendered = {r.stack: r for r in render_stacks(PROJECT_DIR, ["exchange", "party-a", "party-b"],
                                                  config_overrides=overrides, isolated=True)}
    party_a = rendered["party-a"].run
    assert party_a.outputs["joinStatus"] == "joined"
    [job] = [r for r in party_a.resources if r.name == "verification"]
    assert job.inputs.get("dag") is None
    assert job.inputs["runtime_conf"]["role"] == {"guest": [9999], "host": [10000]}
    assert job.inputs["dsl"]["components"]["secure_add_example_0"]["module"] == "SecureAddExample"


# --- stack files, through the offline render ------------------------------------------------------


def project_copy(root: Path, stack_files: dict[str, str]) -> Path:
    """The repository's program with other stack files: every entry linked, the stack files written."""
    root.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if not entry.name.startswith("Pulumi.") and not entry.name.startswith("."):
            (root / entry.name).symlink_to(entry)
    (root / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    for stack, text in stack_files.items():
        (root / f"Pulumi.{stack}.yaml").write_text(text)
    return root


def shipped_text(stack: str) -> str:
    return (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()


def render_refusal(project: Path, stacks: list[str], registrations: Registrations) -> str:
    with pytest.raises(RenderError) as error:
        render_stacks(project, stacks, isolated=True)
    assert registrations.types == [], f"registered before refusing: {registrations.types}"
    return str(error.value)


STACK_FILES: list[tuple[str, Callable[[str], str], tuple[str, ...]]] = [
    ("stack-file-duplicate-key",
     lambda text: text.replace("    namespace: fate-9999\n", "    namespace: fate-9999\n    partyId: 10000\n"),
     ("Pulumi.party-a.yaml", "'partyId' appears twice")),
    ("stack-file-alias", lambda text: text.replace("  fate-federation:role: party\n",
                                                   "  fate-federation:role: &role party\n  x: *role\n"),
     ("Pulumi.party-a.yaml", "aliases")),
]


@pytest.mark.parametrize("case, edit, words", STACK_FILES, ids=[c[0] for c in STACK_FILES])
def test_stack_file_yaml_is_read_strictly(case: str, edit: Callable[[str], str], words: tuple[str, ...],
                                          tmp_path: Path, registrations: Registrations) -> None:
    """The render reads stack files as the Pulumi CLI does: a repeated key is an error, not the last value."""
    project = project_copy(tmp_path / "p", {"party-a": edit(shipped_text("party-a"))})
    message = render_refusal(project, ["party-a"], registrations)
    for word in words:
        assert word in message, message


TRIAL_IDS = TRIAL_IDS | {case for case, *_ in STACK_FILES}


def test_encrypted_external_mysql_password_is_not_reported_missing(tmp_path: Path) -> None:
    """`secure:` values cannot be decrypted offline; the render runs on (and says so), it does not call
    the encrypted password missing."""
    config = yaml.safe_load(shipped_text("party-a"))
    config["config"][PARTY]["mysql"] = {"external": {"host": "db.example.org"}}
    config["config"][f"{NS}:externalMysqlPassword"] = {"secure": "v1:c2VjcmV0IG5vdCBkZWNyeXB0YWJsZQ=="}
    project = project_copy(tmp_path / "p", {"party-a": yaml.safe_dump(config)})
    [rendered] = render_stacks(project, ["party-a"], isolated=True)
    assert any("externalMysqlPassword" in note and "placeholder" in note for note in findings(rendered))
    assert rendered.run.k8s_objects("StatefulSet")


def test_resources_keys_are_the_party_workloads() -> None:
    """`party.resources.<module>` accepts exactly the workloads a party runs with every optional module on
    (a misspelling is refused)."""
    from specs.party import PARTY_MODULES

    config = shipped_config("party-a")
    config[PARTY]["notebook"] = {"enabled": True}
    run = run_program("party-a", config)
    workloads = {obj["metadata"]["name"] for kind in ("Deployment", "StatefulSet") for obj in run.k8s_objects(kind)}
    assert workloads == set(PARTY_MODULES)
