"""The STAND-IN (test-double) tls and random plugins (fedctl.plugin_doubles) under the real Pulumi engine.

They are test doubles, not the real pulumi-tls / pulumi-random providers: the Go module proxy refuses
those at every version (docs/real-engine.md, "Stand-in tls and random plugins"). What is real here: the
engine (scripts/build-engine.sh), the file backend and passphrase secrets, the SDK classes and the
program's own PKI components (tests/fixtures/plugin_doubles_program); the keys, certificates and passwords
are real ones made by the emulations the doubles serve. Needs FATE_FEDERATION_ENGINE_BIN (skips without it,
fails under `make test`/CI); the doubles come from scripts/install-plugin-doubles.sh
(FATE_FEDERATION_PLUGIN_DOUBLES, else the script is run here: it only writes two wrapper scripts).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import bcrypt
import grpc
import pulumi_random
import pulumi_tls
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from fedctl.plugin_doubles.packages import PACKAGES, RANDOM, TLS
from fedctl.plugin_doubles.server import ProviderDouble, to_dict, to_struct
from tests.support.engine import REPO, Engine, engine_bin_dir
from tests.support.plugin_doubles import with_doubles

PROGRAM = REPO / "tests" / "fixtures" / "plugin_doubles_program"
STACK = "party"
FQDN = "party-9999.fate.test"
PRIVATE_KEY_PEM = re.compile(r"-----BEGIN (RSA |OPENSSH )?PRIVATE KEY-----")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield with_doubles(Engine(engine_bin_dir(), tmp_path_factory.mktemp("plugin-doubles")))


@pytest.fixture(scope="module")
def project(engine: Engine) -> Path:
    """The fixture program, deployed once (`up`); the tests below run in file order on this stack."""
    project = engine.copy_project(PROGRAM)
    engine.init_stack(project, STACK, {"fqdn": FQDN})
    engine.run(project, STACK, "up")
    return project


def certificates(outputs: dict[str, Any]) -> tuple[x509.Certificate, x509.Certificate]:
    return (x509.load_pem_x509_certificate(outputs["caCertPem"].encode()),
            x509.load_pem_x509_certificate(outputs["certPem"].encode()))


def custom(engine: Engine, project: Path, *, show_secrets: bool = False) -> dict[str, dict[str, Any]]:
    """The state's resources that a tls/random plugin created, by name (secrets decrypted if asked: their
    ciphertext gets a new nonce whenever the state is written)."""
    resources = (json.loads(engine.cli(project, "stack", "export", "--stack", STACK, "--show-secrets").stdout)
                 ["deployment"]["resources"] if show_secrets else engine.resources(project, STACK))
    return {r["urn"].rsplit("::", 1)[1]: r for r in resources
            if r.get("custom") and r["type"].split(":")[0] in PACKAGES}


def test_up_makes_a_party_certificate_that_verifies_against_the_ca(engine: Engine, project: Path) -> None:
    outputs = engine.outputs(project, STACK, show_secrets=True)
    ca, cert = certificates(outputs)
    cert.verify_directly_issued_by(ca)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == FQDN
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == [FQDN]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    party_key = serialization.load_pem_private_key(outputs["partyPrivateKeyPem"].encode(), password=None)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*spki) == party_key.public_key().public_bytes(*spki)
    password = outputs["password"]
    assert len(password) == 24 and password.isalnum()  # length=24, special=False
    assert bcrypt.checkpw(password.encode(), outputs["passwordBcrypt"].encode())


def test_state_holds_every_output_the_sdk_classes_read(engine: Engine, project: Path) -> None:
    resources = custom(engine, project)
    assert sorted(r["type"] for r in resources.values()) == sorted([
        "tls:index/privateKey:PrivateKey", "tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert",
        "tls:index/certRequest:CertRequest", "tls:index/locallySignedCert:LocallySignedCert",
        "random:index/randomPassword:RandomPassword"])
    for name, resource in resources.items():
        served = PACKAGES[resource["type"].split(":")[0]].types[resource["type"]]
        missing = [key for key in served.computed if resource["outputs"].get(key) in (None, "")]
        assert not missing, f"{name}: no {missing}"
        assert resource["id"], name
    assert resources["ca-key"]["inputs"]["rsaBits"] == 4096 and resources["party-key"]["inputs"]["rsaBits"] == 2048


def test_secret_outputs_are_secret_and_not_in_clear_in_the_state(engine: Engine, project: Path) -> None:
    shown = engine.outputs(project, STACK)
    for name in ("partyPrivateKeyPem", "password", "passwordBcrypt"):
        assert shown[name] == "[secret]", name
    assert shown["certPem"].startswith("-----BEGIN CERTIFICATE-----")
    clear = engine.outputs(project, STACK, show_secrets=True)
    for text in (engine.stack_file(STACK).read_text(), str(engine.export(project, STACK))):
        assert not PRIVATE_KEY_PEM.search(text), "a private key in clear"
        assert clear["password"] not in text and clear["passwordBcrypt"] not in text, "the password in clear"
        assert clear["partyPrivateKeyPem"].splitlines()[1] not in text


def test_a_second_up_changes_nothing(engine: Engine, project: Path) -> None:
    before = engine.outputs(project, STACK, show_secrets=True)
    engine.run(project, STACK, "up", "--expect-no-changes")
    assert engine.outputs(project, STACK, show_secrets=True) == before


def test_refresh_changes_nothing(engine: Engine, project: Path) -> None:
    before = custom(engine, project, show_secrets=True)
    engine.run(project, STACK, "refresh", "--expect-no-changes")
    after = custom(engine, project, show_secrets=True)
    assert {n: (r["id"], r["outputs"]) for n, r in after.items()} == {n: (r["id"], r["outputs"]) for n, r in before.items()}


def test_a_new_dns_name_replaces_the_request_and_the_certificate_only(engine: Engine, project: Path) -> None:
    before = engine.outputs(project, STACK, show_secrets=True)
    engine.set_config(project, STACK, "fqdn", "party-10000.fate.test")
    steps = engine.preview_steps(project, STACK)
    changed = {step["urn"].rsplit("::", 1)[1]: step["op"] for step in steps if "::" in step.get("urn", "")}
    assert set(changed) == {"party-csr", "party-cert"}, changed
    assert set(changed.values()) <= {"replace", "create-replacement", "delete-replaced"}, changed
    engine.run(project, STACK, "up")
    after = engine.outputs(project, STACK, show_secrets=True)
    ca, cert = certificates(after)
    cert.verify_directly_issued_by(ca)
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["party-10000.fate.test"]
    assert after["caCertPem"] == before["caCertPem"] and after["certPem"] != before["certPem"]
    assert after["partyPrivateKeyPem"] == before["partyPrivateKeyPem"] and after["password"] == before["password"]


def test_destroy_removes_every_resource(engine: Engine, project: Path) -> None:
    engine.run(project, STACK, "destroy")
    assert engine.resources(project, STACK) == []


# --- the protocol without the engine: what the engine does not reach in the runs above ----------------

@pytest.fixture()
def tls_stub() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(ProviderDouble(TLS), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    server.stop(0)


def test_the_served_outputs_are_the_sdk_classes_output_properties() -> None:
    """Each served type computes exactly the output-only properties of its SDK class (pulumi_tls 5.6.2,
    pulumi_random 4.21.4), and the plugin versions are the ones those SDK packages ask the engine for."""

    def names(cls: type) -> set[str]:
        return {getattr(v.fget, "_pulumi_name", k) for k, v in vars(cls).items() if isinstance(v, property)}

    classes = {"tls:index/privateKey:PrivateKey": pulumi_tls.PrivateKey,
               "tls:index/selfSignedCert:SelfSignedCert": pulumi_tls.SelfSignedCert,
               "tls:index/certRequest:CertRequest": pulumi_tls.CertRequest,
               "tls:index/locallySignedCert:LocallySignedCert": pulumi_tls.LocallySignedCert,
               "random:index/randomPassword:RandomPassword": pulumi_random.RandomPassword,
               "random:index/randomString:RandomString": pulumi_random.RandomString}
    for token, cls in classes.items():
        args = getattr(sys.modules[cls.__module__], f"{cls.__name__}Args")
        served = PACKAGES[token.split(":")[0]].types[token]
        assert set(served.computed) == names(cls) - names(args), token
    assert (TLS.version, RANDOM.version) == ("5.6.2", "4.21.4")


def test_check_fills_defaults_diff_ignores_them_and_update_is_refused(
        tls_stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    urn = "urn:pulumi:s::p::tls:index/privateKey:PrivateKey::k"
    news = {"algorithm": "RSA"}
    checked = to_dict(tls_stub.Check(provider_pb2.CheckRequest(urn=urn, news=to_struct(news))).inputs)
    assert checked == {"algorithm": "RSA", "rsaBits": 2048, "ecdsaCurve": "P224"}
    same = tls_stub.Diff(provider_pb2.DiffRequest(urn=urn, old_inputs=to_struct({**checked, "__defaults": []}),
                                                  olds=to_struct(checked), news=to_struct(checked)))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    bigger = tls_stub.Diff(provider_pb2.DiffRequest(urn=urn, old_inputs=to_struct(checked), olds=to_struct(checked),
                                                    news=to_struct({**checked, "rsaBits": 4096})))
    assert list(bigger.replaces) == ["rsaBits"]
    with pytest.raises(grpc.RpcError) as refused:
        tls_stub.Update(provider_pb2.UpdateRequest(urn=urn, old_inputs=to_struct(checked), olds=to_struct(checked),
                                                   news=to_struct({**checked, "rsaBits": 4096})))
    assert "cannot update rsaBits in place" in str(refused.value.details())
    assert tls_stub.GetPluginInfo(empty_pb2.Empty()).version == "5.6.2"
