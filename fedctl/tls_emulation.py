"""pulumi-tls resources emulated with real `cryptography`, for runs without the Pulumi engine.

The offline render and the tests run the program under the SDK's mocks; these functions give the
tls resources real outputs (keys, CSRs, certificates that verify), so what the render shows and what
the Traffic Server test serves is real PKI, not placeholders. Input and output names are pulumi-tls's
(camelCase, as the mocks see them).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
TYPES = (PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST, LOCALLY_SIGNED_CERT)

_CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
_SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE,
    "serialNumber": NameOID.SERIAL_NUMBER,
}
_EXTENDED_USES = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}
_KEY_USES = {
    "digital_signature": "digital_signature",
    "content_commitment": "content_commitment",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "cert_signing": "key_cert_sign",
    "crl_signing": "crl_sign",
    "encipher_only": "encipher_only",
    "decipher_only": "decipher_only",
}


def emulate(typ: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs pulumi-tls would return for a resource of type `typ` with these inputs."""
    if typ == PRIVATE_KEY:
        return {**inputs, **private_key(inputs)}
    if typ == SELF_SIGNED_CERT:
        return {**inputs, **self_signed_cert(inputs)}
    if typ == CERT_REQUEST:
        return {**inputs, **cert_request(inputs)}
    if typ == LOCALLY_SIGNED_CERT:
        return {**inputs, **locally_signed_cert(inputs)}
    raise ValueError(f"not a pulumi-tls resource: {typ}")


def private_key(inputs: Mapping[str, Any]) -> dict[str, Any]:
    algorithm = inputs.get("algorithm", "RSA")
    key: Any
    if algorithm == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or 2048))
        traditional = serialization.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ECDSA":
        key = ec.generate_private_key(_CURVES[inputs.get("ecdsaCurve") or "P224"]())
        traditional = serialization.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ED25519":
        key = ed25519.Ed25519PrivateKey.generate()
        traditional = serialization.PrivateFormat.PKCS8
    else:
        raise ValueError(f"unknown key algorithm {algorithm!r}")
    pem = serialization.Encoding.PEM
    public = key.public_key()
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return {
        "privateKeyPem": key.private_bytes(pem, traditional, serialization.NoEncryption()).decode(),
        "privateKeyPemPkcs8": key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode(),
        "publicKeyPem": public.public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "publicKeyOpenssh": openssh + "\n",
        "publicKeyFingerprintSha256": "SHA256:" + hashlib.sha256(public_der).hexdigest(),
    }


@functools.lru_cache(maxsize=64)
def _load_key(pem: str) -> Any:
    """Keys reaching here were made by private_key() above: skip the (slow) RSA consistency check."""
    return serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)


def _name(subject: Mapping[str, Any] | None) -> x509.Name:
    attributes = []
    for field, oid in _SUBJECT_FIELDS.items():
        value = (subject or {}).get(field)
        if value:
            attributes.append(x509.NameAttribute(oid, str(value)))
    return x509.Name(attributes)


def _sans(inputs: Mapping[str, Any]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _signature_hash(key: Any) -> Any:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def cert_request(inputs: Mapping[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, _signature_hash(key))
    return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}


def _certificate(
    *, subject: x509.Name, issuer: x509.Name, public_key: Any, signing_key: Any, inputs: Mapping[str, Any],
    sans: list[x509.GeneralName], issuer_public_key: Any,
) -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    hours = int(inputs.get("validityPeriodHours") or 24)
    is_ca = bool(inputs.get("isCaCertificate"))
    uses = list(inputs.get("allowedUses") or [])
    unknown = sorted(set(uses) - set(_KEY_USES) - set(_EXTENDED_USES) - {"any_extended"})
    if unknown:
        raise ValueError(f"unknown allowed_uses: {', '.join(unknown)}")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    key_usage = {name: False for name in _KEY_USES.values()}
    for use in uses:
        if use in _KEY_USES:
            key_usage[_KEY_USES[use]] = True
    if any(key_usage.values()):
        builder = builder.add_extension(x509.KeyUsage(**key_usage), critical=True)
    extended = [_EXTENDED_USES[u] for u in uses if u in _EXTENDED_USES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
    cert = builder.sign(signing_key, _signature_hash(signing_key))
    return {
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": now.isoformat().replace("+00:00", "Z"),
        "validityEndTime": (now + dt.timedelta(hours=hours)).isoformat().replace("+00:00", "Z"),
        "readyForRenewal": False,
    }


def self_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    name = _name(inputs.get("subject"))
    return _certificate(subject=name, issuer=name, public_key=key.public_key(), signing_key=key, inputs=inputs,
                        sans=_sans(inputs), issuer_public_key=key.public_key())


def locally_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = _load_key(inputs["caPrivateKeyPem"])
    try:
        sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    return _certificate(subject=csr.subject, issuer=ca_cert.subject, public_key=csr.public_key(),
                        signing_key=ca_key, inputs=inputs, sans=sans, issuer_public_key=ca_cert.public_key())
