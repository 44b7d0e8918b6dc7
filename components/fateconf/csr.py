"""Pure certificate checks (no Pulumi, read by cryptography): what the exchange verifies before it signs a party's CSR.

The exchange signs whatever CSR a party stack exports; a CSR that claims another party's name would let
one party receive the other's Pulsar traffic, so the name is checked against the claimed party id.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from facts.names import party_fqdn


@dataclass(frozen=True)
class CsrIdentity:
    common_name: str | None
    dns_names: tuple[str, ...]
    signature_valid: bool


def csr_identity(csr_pem: str) -> CsrIdentity:
    """The names a CSR asks for, and whether it is signed by the key it carries."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as error:
        raise ValueError(f"not a PEM certificate signing request: {error}") from None
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else None
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns_names = ()
    return CsrIdentity(common_name, dns_names, csr.is_signature_valid)


def csr_problem(csr_pem: str, party_id: int, domain: str) -> str | None:
    """Why the exchange must refuse to sign this CSR for this party, or None when it may sign it."""
    expected = party_fqdn(party_id, domain)
    try:
        identity = csr_identity(csr_pem)
    except ValueError as error:
        return str(error)
    if not identity.signature_valid:
        return "the CSR's signature does not verify against its own public key"
    if identity.common_name != expected:
        return f"the CSR's common name is {identity.common_name!r}, but party {party_id} must ask for {expected!r}"
    extra = sorted(set(identity.dns_names) - {expected})
    if extra:
        return f"the CSR also asks for {', '.join(extra)}; party {party_id} may only ask for {expected!r}"
    return None


def certificate_matches_key(certificate_pem: str, public_key_pem: str) -> bool:
    """Whether a certificate was issued for this public key (a party re-keyed after signing would not)."""
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    ours = serialization.load_pem_public_key(public_key_pem.encode())
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return certificate.public_key().public_bytes(*fmt) == ours.public_bytes(*fmt)


def certificate_name_problem(certificate_pem: str, party_id: int, domain: str) -> str | None:
    """Why a certificate given for this party's broker cannot be its certificate (not PEM, or issued for
    another name than `<partyId>.<domain>`), or None."""
    expected = party_fqdn(party_id, domain)
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError as error:
        return f"not a PEM certificate: {error}"
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else None
    if common_name != expected:
        return f"it was issued for {common_name!r}, but party {party_id}'s broker is {expected!r}"
    return None
