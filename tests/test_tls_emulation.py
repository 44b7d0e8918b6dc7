"""pulumi-tls emulated with real cryptography (fedctl.tls_emulation): the keys, CSRs and certificates
are real and verify the way a TLS client verifies them. The last tests run the resources through the
engine mocks (test double: the Pulumi engine) to show the outputs the engine makes secret are secret."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pulumi
import pulumi_tls as tls
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from fedctl import tls_emulation as emu
from tests.support.pulumi_harness import run_component

DOMAIN = "fate.example.org"


def ca(**extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    key = emu.private_key({"algorithm": "RSA"})
    cert = emu.self_signed_cert({
        "privateKeyPem": key["privateKeyPem"], "isCaCertificate": True, "validityPeriodHours": 24 * 365,
        "subject": {"commonName": "FATE federation CA", "organization": "fate", "country": "DE",
                    "streetAddresses": ["Main St 1"]},
        "allowedUses": ["cert_signing", "crl_signing"], **extra})
    return key, cert


def party_csr(party_id: int = 9999, **extra: Any) -> tuple[dict[str, Any], str]:
    key = emu.private_key({"algorithm": "RSA"})
    name = f"{party_id}.{DOMAIN}"
    csr = emu.cert_request({"privateKeyPem": key["privateKeyPem"], "subject": {"commonName": name},
                            "dnsNames": [name], "ipAddresses": ["192.0.2.7"], **extra})["certRequestPem"]
    return key, csr


def sign(ca_key: dict[str, Any], ca_cert: dict[str, Any], csr: str, **extra: Any) -> dict[str, Any]:
    return emu.locally_signed_cert({
        "certRequestPem": csr, "caPrivateKeyPem": ca_key["privateKeyPem"], "caCertPem": ca_cert["certPem"],
        "validityPeriodHours": 24 * 90, "allowedUses": ["digital_signature", "key_encipherment", "server_auth"],
        **extra})


def test_private_key_forms_are_one_real_rsa_key() -> None:
    outputs = emu.private_key({"algorithm": "RSA"})
    assert outputs["privateKeyPem"].startswith("-----BEGIN RSA PRIVATE KEY-----")  # PKCS#1, as the provider
    assert outputs["privateKeyPemPkcs8"].startswith("-----BEGIN PRIVATE KEY-----")
    key = serialization.load_pem_private_key(outputs["privateKeyPem"].encode(), None)
    pkcs8 = serialization.load_pem_private_key(outputs["privateKeyPemPkcs8"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    public = serialization.load_pem_public_key(outputs["publicKeyPem"].encode())
    assert key.public_key().public_bytes(*der) == pkcs8.public_key().public_bytes(*der) == public.public_bytes(*der)
    assert isinstance(serialization.load_pem_private_key(
        emu.private_key({"algorithm": "RSA", "rsaBits": 3072})["privateKeyPem"].encode(), None), rsa.RSAPrivateKey)


@pytest.mark.parametrize("algorithm", ["ECDSA", "ED25519"])
def test_algorithms_the_program_does_not_use_are_refused(algorithm: str) -> None:
    with pytest.raises(emu.TlsEmulationError, match=f"algorithm '{algorithm}': only RSA is emulated"):
        emu.private_key({"algorithm": algorithm})


def test_self_signed_ca_carries_subject_constraints_and_key_id() -> None:
    key, cert_outputs = ca(maxPathLength=1)
    cert = x509.load_pem_x509_certificate(cert_outputs["certPem"].encode())
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "FATE federation CA"
    assert cert.subject.get_attributes_for_oid(NameOID.STREET_ADDRESS)[0].value == "Main St 1"
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 1
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    cert.verify_directly_issued_by(cert)  # self-signed by the given key
    public = serialization.load_pem_private_key(key["privateKeyPem"].encode(), None).public_key()
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest \
        == x509.SubjectKeyIdentifier.from_public_key(public).digest
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime == dt.timedelta(hours=24 * 365) and cert_outputs["keyAlgorithm"] == "RSA"
    assert cert_outputs["readyForRenewal"] is False


def test_csr_holds_subject_and_sans_and_its_signature_verifies() -> None:
    _, pem = party_csr()
    csr = x509.load_pem_x509_csr(pem.encode())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == f"CN=9999.{DOMAIN}"
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [f"9999.{DOMAIN}"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.0.2.7")]


def test_signed_certificate_verifies_as_a_tls_client_would() -> None:
    ca_key, ca_cert = ca()
    party_key, csr = party_csr()
    outputs = sign(ca_key, ca_cert, csr)
    cert = x509.load_pem_x509_certificate(outputs["certPem"].encode())
    root = x509.load_pem_x509_certificate(ca_cert["certPem"].encode())
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(f"9999.{DOMAIN}"))
    chain = verifier.verify(cert, [])
    assert chain[-1] == root
    with pytest.raises(VerificationError):  # a name the certificate was not issued for
        PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(f"10000.{DOMAIN}")).verify(cert, [])
    key = serialization.load_pem_private_key(party_key["privateKeyPem"].encode(), None)
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*der) == key.public_key().public_bytes(*der)
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == \
        root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert outputs["caKeyAlgorithm"] == "RSA"


def test_early_renewal_window_marks_the_certificate_ready() -> None:
    ca_key, ca_cert = ca()
    _, csr = party_csr()
    assert sign(ca_key, ca_cert, csr, validityPeriodHours=10, earlyRenewalHours=12)["readyForRenewal"] is True


@pytest.mark.parametrize(("change", "message"), [
    (lambda i: i.update(caPrivateKeyPem=emu.private_key({"algorithm": "RSA"})["privateKeyPem"]),
     "caPrivateKeyPem does not belong to caCertPem"),
    (lambda i: i.update(allowedUses=["server_auth", "world_domination"]), "allowedUses: unknown world_domination"),
    (lambda i: i.pop("validityPeriodHours"), "validityPeriodHours is required"),
    (lambda i: i.update(certRequestPem=i["certRequestPem"].replace("-----BEGIN", "garbage-----BEGIN", 1)[:60]),
     "certRequestPem"),
])
def test_the_provider_refusals(change: Any, message: str) -> None:
    ca_key, ca_cert = ca()
    _, csr = party_csr()
    inputs = {"certRequestPem": csr, "caPrivateKeyPem": ca_key["privateKeyPem"], "caCertPem": ca_cert["certPem"],
              "validityPeriodHours": 1, "allowedUses": ["server_auth"]}
    change(inputs)
    with pytest.raises(emu.TlsEmulationError, match=message):
        emu.locally_signed_cert(inputs)


def test_a_csr_whose_signature_does_not_hold_is_refused() -> None:
    ca_key, ca_cert = ca()
    _, csr = party_csr()
    der = bytearray(x509.load_pem_x509_csr(csr.encode()).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(emu.TlsEmulationError, match="signature does not verify"):
        sign(ca_key, ca_cert, tampered)


def test_under_the_engine_mocks_private_outputs_are_secret_and_certificates_chain() -> None:
    """The engine marks pulumi-tls's private outputs secret (additional_secret_outputs); the mocks too."""

    def program() -> dict[str, Any]:
        key = tls.PrivateKey("ca-key", algorithm="RSA")
        cert = tls.SelfSignedCert("ca", private_key_pem=key.private_key_pem, is_ca_certificate=True,
                                  validity_period_hours=24, allowed_uses=["cert_signing"],
                                  subject={"common_name": "CA"})
        leaf_key = tls.PrivateKey("leaf-key", algorithm="RSA", rsa_bits=3072)
        csr = tls.CertRequest("csr", private_key_pem=leaf_key.private_key_pem, dns_names=["a.example.org"],
                              subject={"common_name": "a.example.org"})
        leaf = tls.LocallySignedCert("leaf", cert_request_pem=csr.cert_request_pem, ca_cert_pem=cert.cert_pem,
                                     ca_private_key_pem=key.private_key_pem, validity_period_hours=24,
                                     allowed_uses=["server_auth"])
        return {"key": key.private_key_pem, "public": key.public_key_pem, "ca": cert.cert_pem, "leaf": leaf.cert_pem}

    run = run_component(program)
    assert run.secret_outputs == {"key"}
    leaf = x509.load_pem_x509_certificate(run.outputs["leaf"].encode())
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(run.outputs["ca"].encode()))
    assert isinstance(leaf.public_key(), rsa.RSAPublicKey) and leaf.public_key().key_size == 3072


def test_a_preview_knows_no_key_yet() -> None:
    """A preview of a new key has no computed outputs, as with the real engine."""
    seen: dict[str, bool] = {}

    def program() -> dict[str, Any]:
        key = tls.PrivateKey("key", algorithm="RSA")
        key.private_key_pem.apply(lambda value: seen.setdefault("applied", True))
        return {"public": key.public_key_pem}

    run = run_component(program, preview=True)
    assert "applied" not in seen and isinstance(run.raw_outputs["public"], pulumi.output.Unknown)
