"""pulumi-tls resources emulated with real `cryptography`, for runs without the Pulumi engine.

The offline render and the tests run the program under the SDK's mocks (fedctl.mocks); these
functions give the tls resources the outputs the provider would: real keys, CSRs that carry their
subject and SANs, certificates signed by the CA key that verify. So what the render shows and what
the Traffic Server test serves is real PKI, not placeholders. Names are pulumi-tls's wire names
(camelCase), the way the mocks see inputs and must return outputs.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
TYPES = (PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST, LOCALLY_SIGNED_CERT)

DEFAULT_RSA_BITS = 2048
"""pulumi-tls's default rsa_bits."""

_SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}
_EXTENDED_USES = {
    "any_extended": x509.ObjectIdentifier("2.5.29.37.0"),
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "ipsec_end_system": ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
    "ipsec_tunnel": ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
    "ipsec_user": ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "microsoft_server_gated_crypto": ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    "netscape_server_gated_crypto": ObjectIdentifier("2.16.840.1.113730.4.1"),
    "microsoft_commercial_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.2.1.22"),
    "microsoft_kernel_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.61.1.1"),
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
ALLOWED_USES = frozenset(_KEY_USES) | frozenset(_EXTENDED_USES)


class TlsEmulationError(ValueError):
    """Input the tls provider would refuse; the message names the property."""


def emulate(typ: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs pulumi-tls would return (inputs echoed plus computed) for a resource of type `typ`."""
    computed = {PRIVATE_KEY: private_key, SELF_SIGNED_CERT: self_signed_cert, CERT_REQUEST: cert_request,
                LOCALLY_SIGNED_CERT: locally_signed_cert}
    if typ not in computed:
        raise TlsEmulationError(f"not a pulumi-tls resource: {typ}")
    return {**inputs, **computed[typ](inputs)}


def private_key(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A new RSA key in the provider's PEM forms: PKCS#1 (privateKeyPem), PKCS#8 and the public key.

    The program makes RSA keys only (components.federation_pki); other algorithms and the OpenSSH forms
    are not emulated and fail loudly instead of giving outputs nobody checked."""
    algorithm = inputs.get("algorithm")
    if algorithm != "RSA":
        raise TlsEmulationError(f"algorithm {algorithm!r}: only RSA is emulated (the program makes RSA keys)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or DEFAULT_RSA_BITS))
    pem = serialization.Encoding.PEM
    no_password = serialization.NoEncryption()
    return {
        "privateKeyPem": key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, no_password).decode(),
        "privateKeyPemPkcs8": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, no_password).decode(),
        "publicKeyPem": key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    }


def _required(inputs: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if inputs.get(name):
            return inputs[name]
    raise TlsEmulationError(f"{' or '.join(names)} is required")


@functools.lru_cache(maxsize=256)
def _parse_key(pem: str) -> Any:
    """Parsed once per PEM (an exchange signs with one CA key per party): the emulation's keys come from
    private_key() above, so the slow RSA consistency check is skipped."""
    return serialization.load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)


def _load_key(inputs: Mapping[str, Any], *names: str) -> Any:
    try:
        key = _parse_key(str(_required(inputs, *names)))
    except ValueError as error:
        raise TlsEmulationError(f"{names[0]} is not a PEM private key: {error}") from None
    _key_algorithm(key)
    return key


def _name(subject: Mapping[str, Any] | None) -> x509.Name:
    subject = subject or {}
    attributes = [x509.NameAttribute(NameOID.STREET_ADDRESS, str(street))
                  for street in subject.get("streetAddresses") or []]
    attributes += [x509.NameAttribute(oid, str(subject[field]))
                   for field, oid in _SUBJECT_FIELDS.items() if subject.get(field)]
    return x509.Name(attributes)


def _sans(inputs: Mapping[str, Any]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in inputs.get("dnsNames") or []]
    for address in inputs.get("ipAddresses") or []:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            raise TlsEmulationError(f"ipAddresses: {address!r} is not an IP address") from None
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _signature_hash(_key: Any) -> Any:
    return hashes.SHA256()


def cert_request(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A CSR with the subject and SANs, signed by the given key (so its signature verifies)."""
    key = _load_key(inputs, "privateKeyPem", "privateKeyPemWo")
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, _signature_hash(key))
    return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}


def _uses(inputs: Mapping[str, Any]) -> list[str]:
    uses = list(_required(inputs, "allowedUses"))
    unknown = sorted(set(uses) - ALLOWED_USES)
    if unknown:
        raise TlsEmulationError(f"allowedUses: unknown {', '.join(unknown)}; known: {', '.join(sorted(ALLOWED_USES))}")
    return uses


def _certificate(*, subject: x509.Name, issuer: x509.Name, public_key: Any, signing_key: Any,
                 inputs: Mapping[str, Any], sans: list[x509.GeneralName],
                 issuer_key_id: x509.SubjectKeyIdentifier | None) -> dict[str, Any]:
    """Sign a certificate the way the provider does: BasicConstraints, KeyUsage / ExtKeyUsage from
    allowedUses, SANs, a subject key id on CAs (or when asked), the issuer's key id as authority key id."""
    hours = int(_required(inputs, "validityPeriodHours"))
    early_renewal = int(inputs.get("earlyRenewalHours") or 0)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    end = now + dt.timedelta(hours=hours)
    is_ca = bool(inputs.get("isCaCertificate"))
    max_path = inputs.get("maxPathLength")
    uses = _uses(inputs)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=int(max_path) if is_ca and max_path
                                                    is not None and int(max_path) >= 0 else None), critical=True))
    key_usage = {name: False for name in _KEY_USES.values()}
    for use in uses:
        if use in _KEY_USES:
            key_usage[_KEY_USES[use]] = True
    if any(key_usage.values()):
        if not key_usage["key_agreement"]:
            key_usage["encipher_only"] = key_usage["decipher_only"] = False
        builder = builder.add_extension(x509.KeyUsage(**key_usage), critical=True)
    extended = [_EXTENDED_USES[u] for u in uses if u in _EXTENDED_USES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer_key_id is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_key_id), critical=False)
    cert = builder.sign(signing_key, _signature_hash(signing_key))
    return {
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": now.isoformat().replace("+00:00", "Z"),
        "validityEndTime": end.isoformat().replace("+00:00", "Z"),
        "readyForRenewal": now >= end - dt.timedelta(hours=early_renewal),
    }


def _key_algorithm(key: Any) -> str:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TlsEmulationError("only RSA keys are emulated (the program makes RSA keys)")
    return "RSA"


def self_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs, "privateKeyPem", "privateKeyPemWo")
    name = _name(inputs.get("subject"))
    own_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    outputs = _certificate(subject=name, issuer=name, public_key=key.public_key(), signing_key=key, inputs=inputs,
                           sans=_sans(inputs), issuer_key_id=own_id if inputs.get("setAuthorityKeyId") else None)
    return {**outputs, "keyAlgorithm": _key_algorithm(key)}


def locally_signed_cert(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Sign the CSR (subject and SANs from the CSR, as the provider does) with the CA key, after checking
    that the CSR's signature holds and that the CA key belongs to the CA certificate."""
    try:
        csr = x509.load_pem_x509_csr(str(_required(inputs, "certRequestPem")).encode())
        ca_cert = x509.load_pem_x509_certificate(str(_required(inputs, "caCertPem")).encode())
    except ValueError as error:
        raise TlsEmulationError(f"certRequestPem / caCertPem: not PEM: {error}") from None
    if not csr.is_signature_valid:
        raise TlsEmulationError("certRequestPem: the CSR's signature does not verify")
    ca_key = _load_key(inputs, "caPrivateKeyPem", "caPrivateKeyPemWo")
    public_der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if ca_key.public_key().public_bytes(*public_der) != ca_cert.public_key().public_bytes(*public_der):
        raise TlsEmulationError("caPrivateKeyPem does not belong to caCertPem")
    try:
        sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    try:
        issuer_id: x509.SubjectKeyIdentifier | None = \
            ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        issuer_id = None
    outputs = _certificate(subject=csr.subject, issuer=ca_cert.subject, public_key=csr.public_key(),
                           signing_key=ca_key, inputs=inputs, sans=sans, issuer_key_id=issuer_id)
    return {**outputs, "caKeyAlgorithm": _key_algorithm(ca_key)}
