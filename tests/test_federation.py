"""The shipped stacks as a federation: bootstrap states, outputs contract, object validity, secrets.

Test doubles: the Pulumi engine and the Kubernetes API server (fedctl.mocks: objects echo their
inputs, load balancers get 192.0.2.x addresses). Everything else is real: the program, the config
models, the certificates (real keys and signatures via cryptography) and the Kubernetes schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fedctl.records import EngineState
from tests.support.manifest_checks import validate_manifest
from tests.support.pulumi_harness import PROJECT_DIR, run_program, shipped_config

SCHEMA = json.loads((PROJECT_DIR / "docs" / "outputs.schema.json").read_text())
EXCHANGE_REF = "organization/fate-federation/exchange"
PARTY_A_REF = "organization/fate-federation/party-a"
PARTY_B_REF = "organization/fate-federation/party-b"


@pytest.fixture
def federation(rendered_federation: dict[str, Any]) -> dict[str, Any]:
    return rendered_federation


def test_every_stack_converges(federation: dict[str, Any]) -> None:
    assert set(federation) == {"exchange", "party-a", "party-b", "local"}
    assert federation["party-a"].run.outputs["joinStatus"] == "joined"
    assert federation["party-b"].run.outputs["joinStatus"] == "joined"
    exchange = federation["exchange"].run.outputs
    assert {k: v["status"] for k, v in exchange["parties"].items()} == {"9999": "routed", "10000": "routed"}
    assert exchange["pendingParties"] == []


PARTY_WORKLOADS = {("StatefulSet", name) for name in ("mysql", "fateflow", "pulsar", "namenode",
                                                    "datanode")} | {  # the notebook (client) is off by default
    ("Deployment", name) for name in ("nginx", "fateboard", "spark-master", "spark-worker")}
EXCHANGE_WORKLOADS = {("Deployment", "traffic-server"), ("Deployment", "nginx")}
WORKLOADS = {
    "exchange": {("fate-exchange", *w) for w in EXCHANGE_WORKLOADS},
    "party-a": {("fate-9999", *w) for w in PARTY_WORKLOADS},
    "party-b": {("fate-10000", *w) for w in PARTY_WORKLOADS},
    "local": {("fate-exchange", *w) for w in EXCHANGE_WORKLOADS} | {(ns, *w) for ns in ("fate-9999", "fate-10000")
                                                                   for w in PARTY_WORKLOADS},
}


@pytest.mark.parametrize("stack", ["exchange", "party-a", "party-b", "local"])
def test_every_object_is_valid_kubernetes(federation: dict[str, Any], stack: str) -> None:
    """Each stack deploys exactly the workloads of its role, and every object passes the API's schema."""
    objects = federation[stack].run.k8s_objects()
    workloads = {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"]) for o in objects
                 if o["kind"] in ("Deployment", "StatefulSet")}
    assert workloads == WORKLOADS[stack]
    for obj in objects:
        validate_manifest(obj)


@pytest.mark.parametrize("stack", ["exchange", "party-a", "party-b", "local"])
def test_outputs_follow_the_contract_schema(federation: dict[str, Any], stack: str) -> None:
    jsonschema.validate(federation[stack].run.outputs, SCHEMA)


def test_schema_rejects_an_empty_address() -> None:
    outputs = {"schemaVersion": 1, "role": "party", "partyId": 9999, "namespace": "n", "fateVersion": "2.0.0",
               "endpoints": {"nginx": {"host": "", "httpPort": 9300, "grpcPort": 9310},
                             "pulsarTls": {"host": "a", "port": 6651}},
               "csrPem": None, "joinStatus": "joined"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(outputs, SCHEMA)


def test_party_certificate_chain_is_real(federation: dict[str, Any]) -> None:
    """The certificate party-a installs was signed by the exchange's CA for party-a's own key."""
    exchange = federation["exchange"].run.outputs
    ca = x509.load_pem_x509_certificate(exchange["caCertPem"].encode())
    secret = federation["party-a"].run.k8s_object("Secret", "pulsar-cert", "fate-9999")["stringData"]
    cert = x509.load_pem_x509_certificate(secret["broker.cert.pem"].encode())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "9999.fate.example.org"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["9999.fate.example.org"]
    key = serialization.load_pem_private_key(secret["broker.key-pk8.pem"].encode(), None)
    assert secret["broker.key-pk8.pem"].startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, as Pulsar needs
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, public) == \
        cert.public_key().public_bytes(serialization.Encoding.DER, public)
    assert secret["ca.cert.pem"] == exchange["caCertPem"]


def test_party_private_key_never_leaves_its_stack(federation: dict[str, Any]) -> None:
    party_key = federation["party-a"].run.k8s_object("Secret", "pulsar-cert")["stringData"]["broker.key-pk8.pem"]
    body = party_key.splitlines()[1]
    for stack in ("exchange", "party-b", "local"):
        assert body not in json.dumps(federation[stack].run.outputs)
        assert body not in json.dumps(federation[stack].run.k8s_objects())
    assert body not in json.dumps(federation["party-a"].run.outputs)
    assert "PRIVATE KEY" not in json.dumps(federation["exchange"].run.outputs)


def test_exchange_routes_point_at_party_public_services(federation: dict[str, Any]) -> None:
    exchange = federation["exchange"].run
    party_b = federation["party-b"].run.outputs
    sni = exchange.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"]
    tls = party_b["endpoints"]["pulsarTls"]
    assert tls["host"] == "203.0.113.20"  # party-b is NodePort on its node address
    # One static rule: `<digits>.<domain>` goes to the Service `party-<digits>` of the exchange namespace...
    assert sni == ("sni:\n- fqdn: '([0-9]{1,10}).fate.example.org$'\n"
                   "  tunnel_route: party-$1.fate-exchange.svc.cluster.local:6651\n")
    # ...and party-b is that Service: its address and port, the port named for the SRV answer.
    service = exchange.k8s_object("Service", "party-10000", "fate-exchange")
    assert "selector" not in service["spec"]
    assert service["spec"]["ports"] == [{"name": "tunnel", "port": tls["port"], "protocol": "TCP",
                                         "targetPort": tls["port"]}]
    endpoints = exchange.k8s_object("EndpointSlice", "party-10000", "fate-exchange")
    assert endpoints["metadata"]["labels"]["kubernetes.io/service-name"] == "party-10000"
    assert endpoints["endpoints"] == [{"addresses": [tls["host"]]}]
    assert endpoints["ports"] == [{"name": "tunnel", "port": tls["port"], "protocol": "TCP"}]
    routes = exchange.k8s_object("ConfigMap", "nginx-route-table")["data"]["route_table.yaml"]
    assert f"host: {party_b['endpoints']['nginx']['host']}" in routes


def test_party_defaults_point_at_the_exchange(federation: dict[str, Any]) -> None:
    exchange = federation["exchange"].run.outputs["endpoints"]
    party = federation["party-a"].run
    pulsar_routes = party.k8s_object("ConfigMap", "pulsar-route-table")["data"]["pulsar_route_table.yaml"]
    assert f"proxy: {exchange['trafficServer']['host']}:{exchange['trafficServer']['port']}" in pulsar_routes
    assert "domain: fate.example.org" in pulsar_routes
    nginx_routes = party.k8s_object("ConfigMap", "nginx-route-table")["data"]["route_table.yaml"]
    assert nginx_routes.startswith(f"default:\n  proxy:\n  - host: {exchange['nginx']['host']}\n")


def test_secrets_stay_out_of_configmaps_and_plain_outputs(federation: dict[str, Any]) -> None:
    for stack, rendered in federation.items():
        run = rendered.run
        passwords = generated_passwords(run)
        assert passwords or stack == "exchange", stack  # the exchange generates keys, no passwords
        configmaps = json.dumps(run.k8s_objects("ConfigMap"))
        assert "PRIVATE KEY" not in configmaps, stack
        for password in passwords:
            assert password and password not in configmaps, stack
        plain = run.redacted_outputs()
        for key in [k for k in plain if "assword" in k]:
            assert plain[key] == "[secret]", (stack, key)
        redacted = json.dumps(plain)
        for password in passwords:
            assert password not in redacted, stack


def generated_passwords(run: Any) -> list[str]:
    """Every generated password, read from where the program put it: Secrets only."""
    found = []
    for secret in run.k8s_objects("Secret"):
        for key, value in (secret.get("stringData") or {}).items():
            if "PASSWORD" in key.upper() and "\n" not in value:
                found.append(value)
            for line in value.splitlines():
                if "passwd:" in line:
                    found.append(line.split(":", 1)[1].strip().strip("'"))
                elif "password=" in line:
                    found.append(line.split("=", 1)[1].strip())
    return [p for p in found if p]


def test_stateful_volumes_survive_destroy(federation: dict[str, Any]) -> None:
    run = federation["party-a"].run
    for sts in run.k8s_objects("StatefulSet"):
        assert sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    [namespace] = [r for r in run.resources if r.inputs.get("kind") == "Namespace"]
    assert namespace.retain_on_delete  # deleting the namespace would delete the claims
    assert not [r for r in run.resources if r.inputs.get("kind") == "StatefulSet" and r.retain_on_delete]
    mysql = run.k8s_object("StatefulSet", "mysql")
    assert mysql["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"


# --- bootstrap step by step -------------------------------------------------------------------------


def test_step_1_exchange_alone_reports_parties_pending() -> None:
    run = run_program("exchange")
    outputs = run.outputs
    assert outputs["parties"] == {}
    assert [p["source"] for p in outputs["pendingParties"]] == [PARTY_A_REF, PARTY_B_REF]
    assert "pulumi up -s party-a" in outputs["pendingParties"][0]["reason"]
    assert not [s for s in run.k8s_objects("Service") if s["metadata"]["name"].startswith("party-")]  # no route


def test_step_0_party_before_exchange_awaits_exchange() -> None:
    run = run_program("party-a")
    outputs = run.outputs
    assert outputs["joinStatus"] == "awaiting-exchange"
    assert outputs.get("csrPem") is None
    assert "has no outputs yet" in outputs["exchange"]["pending"]
    routes = run.k8s_object("ConfigMap", "pulsar-route-table")["data"]["pulsar_route_table.yaml"]
    assert "default" not in routes  # no route to an exchange that is not there: never an empty address
    assert run.of_type("kubernetes:core/v1:Secret") and not [
        s for s in run.k8s_objects("Secret") if s["metadata"]["name"] == "pulsar-cert"]


def test_steps_2_to_4_join_one_up_at_a_time() -> None:
    state = EngineState()
    exchange = run_program("exchange", state=state).outputs
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: exchange}, state=state).outputs
    assert party["joinStatus"] == "awaiting-certificate"
    assert party["csrPem"].startswith("-----BEGIN CERTIFICATE REQUEST-----")
    exchange = run_program("exchange", stack_outputs={PARTY_A_REF: party}, state=state).outputs
    assert exchange["parties"]["9999"]["status"] == "routed"
    assert [p["source"] for p in exchange["pendingParties"]] == [PARTY_B_REF]
    final = run_program("party-a", stack_outputs={EXCHANGE_REF: exchange}, state=state)
    assert final.outputs["joinStatus"] == "joined"
    assert final.outputs["csrPem"] == party["csrPem"]  # the key is stable across updates


def test_party_rekeyed_after_signing_awaits_a_new_certificate() -> None:
    exchange_state, party_state = EngineState(), EngineState()
    exchange = run_program("exchange", state=exchange_state).outputs
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: exchange}, state=party_state).outputs
    exchange = run_program("exchange", stack_outputs={PARTY_A_REF: party}, state=exchange_state).outputs
    # The party stack is recreated from scratch (new state: a new key), the exchange still has the old CSR.
    fresh = run_program("party-a", stack_outputs={EXCHANGE_REF: exchange}, state=EngineState())
    assert fresh.outputs["joinStatus"] == "awaiting-certificate"


def test_party_with_pending_load_balancer_is_not_routed() -> None:
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: run_program("exchange").outputs}).outputs
    party["endpoints"]["pulsarTls"]["host"] = None
    exchange = run_program("exchange", stack_outputs={PARTY_A_REF: party}).outputs
    assert "9999" in exchange["parties"] and exchange["parties"]["9999"]["status"] == "pending"
    assert "no public address yet" in exchange["parties"]["9999"]["reason"]


def test_csr_for_another_party_is_refused() -> None:
    """Party 9999 exports a CSR that asks for 10000's name: the exchange signs nothing and routes nothing."""
    exchange = run_program("exchange").outputs
    party_b = run_program("party-b", stack_outputs={EXCHANGE_REF: exchange}).outputs
    party_a = run_program("party-a", stack_outputs={EXCHANGE_REF: exchange}).outputs
    party_a["csrPem"] = party_b["csrPem"]
    run = run_program("exchange", stack_outputs={PARTY_A_REF: party_a})
    entry = run.outputs["parties"]["9999"]
    assert entry["status"] == "refused"
    assert "10000.fate.example.org" in entry["reason"] and "9999.fate.example.org" in entry["reason"]
    assert entry.get("certificatePem") is None
    assert "9999" not in run.k8s_object("ConfigMap", "traffic-server-sni")["data"]["sni.yaml"]
    assert not [s for s in run.k8s_objects("Service") if s["metadata"]["name"] == "party-9999"]
    assert not [r for r in run.of_type("tls:index/locallySignedCert:LocallySignedCert") if "9999" in r.name]


@pytest.mark.parametrize("change, message", [
    ({"schemaVersion": 2}, "exports schemaVersion 2"),
    ({"role": "exchange"}, "is a 'exchange' stack, expected a party stack"),
    ({"endpoints": "drop"}, "does not export the party contract (missing endpoints)"),
])
def test_party_stack_that_breaks_the_contract_stops_the_exchange(change: dict[str, Any], message: str) -> None:
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: run_program("exchange").outputs}).outputs
    for key, value in change.items():
        if value == "drop":
            party.pop(key)
        else:
            party[key] = value
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_program("exchange", stack_outputs={PARTY_A_REF: party})


def test_two_party_stacks_with_one_id_stop_the_exchange() -> None:
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: run_program("exchange").outputs}).outputs
    with pytest.raises(Exception, match="both have party id 9999"):
        run_program("exchange", stack_outputs={PARTY_A_REF: party, PARTY_B_REF: party})


def test_party_stack_with_the_exchange_id_stops_the_exchange() -> None:
    party = run_program("party-a", stack_outputs={EXCHANGE_REF: run_program("exchange").outputs}).outputs
    party["partyId"] = 1
    with pytest.raises(Exception, match="exchange's own partyId"):
        run_program("exchange", stack_outputs={PARTY_A_REF: party})


def test_config_error_registers_nothing() -> None:
    """A bad config stops the program before any resource, with the key and the fix."""
    config = shipped_config("party-a")
    config["fate-federation:party"]["exposure"] = {"type": "NodePort"}
    state = EngineState()
    with pytest.raises(Exception, match=r"fate-federation:party.exposure: nodeAddress is required"):
        run_program("party-a", config, state=state)
    assert state.resources == {} and state.load_balancer_addresses == {}, "the failed run left state behind"


def test_party_stack_needs_its_cluster_named() -> None:
    config = shipped_config("party-a")
    del config["fate-federation:kubernetes"]
    with pytest.raises(Exception, match="kubernetes.context"):
        run_program("party-a", config)


def test_preview_with_unknown_values_does_not_crash() -> None:
    """In a preview nothing is known yet (no addresses, no certificates): the program still completes."""
    run = run_program("local", preview=True)
    assert run.k8s_objects("StatefulSet")


def test_static_exchange_and_static_party(tmp_path: Path) -> None:
    """Parties and exchanges not managed with Pulumi: static entries, still checked and signed."""
    party_config = shipped_config("party-a")
    party_config["fate-federation:exchange"] = {"static": {
        "domain": "fate.example.org", "trafficServer": {"host": "198.51.100.1", "port": 443},
        "nginx": {"host": "198.51.100.1"}}}
    party = run_program("party-a", party_config).outputs
    assert party["joinStatus"] == "awaiting-certificate"
    exchange_config = shipped_config("exchange")
    exchange_config["fate-federation:exchange"]["parties"] = [{"static": {
        "partyId": 9999, "pulsarTls": {"host": "198.51.100.9", "port": 6651},
        "nginx": {"host": "198.51.100.9"}, "csrPem": party["csrPem"]}}]
    exchange = run_program("exchange", exchange_config).outputs
    assert exchange["parties"]["9999"]["status"] == "routed"
    assert exchange["parties"]["9999"]["certificatePem"].startswith("-----BEGIN CERTIFICATE-----")


def test_bring_your_own_pki_party() -> None:
    """A party with its own certificate Secret: Pulsar serves TLS from it, no CSR crosses to the exchange."""
    config = shipped_config("party-a")
    config["fate-federation:party"]["pki"] = {"existingSecret": "my-broker-cert"}
    exchange = run_program("exchange").outputs
    run = run_program("party-a", config, stack_outputs={EXCHANGE_REF: exchange})
    assert run.outputs.get("csrPem") is None and run.outputs["joinStatus"] == "joined"
    assert "pulsar-cert" not in {s["metadata"]["name"] for s in run.k8s_objects("Secret")}
    pulsar = run.k8s_object("StatefulSet", "pulsar")["spec"]["template"]["spec"]
    assert {"name": "my-broker-cert", "secret": {"secretName": "my-broker-cert"}} in pulsar["volumes"]
    assert "tlsEnabled=true" in run.k8s_object("ConfigMap", "pulsar-config")["data"]["standalone.conf"]


def test_bring_your_own_pki_exchange() -> None:
    """An exchange with an existing proxy certificate Secret: no CA is made and nothing is signed."""
    config = shipped_config("exchange")
    config["fate-federation:exchange"]["pki"] = {"mode": "existing", "existingSecret": "our-proxy-cert"}
    run = run_program("exchange", config)
    assert not run.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert "traffic-server-cert" not in {s["metadata"]["name"] for s in run.k8s_objects("Secret")}
    ats = run.k8s_object("Deployment", "traffic-server")["spec"]["template"]["spec"]
    assert {"name": "our-proxy-cert", "secret": {"secretName": "our-proxy-cert"}} in ats["volumes"]


def test_the_local_stack_runs_once_as_it_reads_no_other_stack(federation: dict[str, Any]) -> None:
    """The render re-runs only stacks that read other stacks; the parties and the exchange settle in rounds."""
    assert federation["local"].rounds == 1
    assert federation["party-a"].rounds >= 2 and federation["exchange"].rounds >= 2
