"""Federation PKI with pulumi-tls: the CA in the exchange stack, each party's key and CSR in its own stack.

A party's private key is generated in the party stack and never leaves it: only the CSR crosses to the
exchange (through a stack output), and only the signed certificate comes back.
"""

from __future__ import annotations

import pulumi
import pulumi_tls as tls

from facts.names import party_fqdn, proxy_fqdn

SERVER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
KEY_ALGORITHM = "RSA"
PARTY_KEY_BITS = 2048
CA_KEY_BITS = 4096


class FederationCa(pulumi.ComponentResource):
    """The federation's certificate authority (self-signed), owned by the exchange stack."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]

    def __init__(self, name: str, domain: str, validity_hours: int, opts: pulumi.ResourceOptions | None = None):
        super().__init__("fate:pki:FederationCa", name, None, opts)
        key = tls.PrivateKey(f"{name}-key", algorithm=KEY_ALGORITHM, rsa_bits=CA_KEY_BITS,
                             opts=pulumi.ResourceOptions(parent=self))
        cert = tls.SelfSignedCert(
            f"{name}-cert",
            private_key_pem=key.private_key_pem,
            subject={"common_name": f"FATE federation CA {domain}", "organization": "fate-federation"},
            is_ca_certificate=True,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            validity_period_hours=validity_hours,
            early_renewal_hours=24 * 30,
            set_subject_key_id=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.certificate_pem = cert.cert_pem
        self.private_key_pem = pulumi.Output.secret(key.private_key_pem)
        self.register_outputs({"certificatePem": self.certificate_pem})


class KeyAndRequest(pulumi.ComponentResource):
    """A private key and a CSR for `<name>.<domain>`: a party's broker, or the exchange's proxy."""

    private_key_pem: pulumi.Output[str]
    private_key_pkcs8_pem: pulumi.Output[str]
    public_key_pem: pulumi.Output[str]
    csr_pem: pulumi.Output[str] | None

    def __init__(self, name: str, fqdn: str | None, opts: pulumi.ResourceOptions | None = None):
        """`fqdn` None: the key exists (so it is stable) but no CSR yet, e.g. before the domain is known."""
        super().__init__("fate:pki:KeyAndRequest", name, None, opts)
        key = tls.PrivateKey(f"{name}-key", algorithm=KEY_ALGORITHM, rsa_bits=PARTY_KEY_BITS,
                             opts=pulumi.ResourceOptions(parent=self))
        self.private_key_pem = pulumi.Output.secret(key.private_key_pem)
        self.private_key_pkcs8_pem = pulumi.Output.secret(key.private_key_pem_pkcs8)
        self.public_key_pem = key.public_key_pem
        self.csr_pem = None
        if fqdn is not None:
            request = tls.CertRequest(
                f"{name}-csr",
                private_key_pem=key.private_key_pem,
                subject={"common_name": fqdn, "organization": "fate-federation"},
                dns_names=[fqdn],
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.csr_pem = request.cert_request_pem
        self.register_outputs({"csrPem": self.csr_pem})


def party_key(name: str, party_id: int, domain: str | None, opts: pulumi.ResourceOptions) -> KeyAndRequest:
    return KeyAndRequest(name, party_fqdn(party_id, domain) if domain else None, opts)


def proxy_key(name: str, domain: str, opts: pulumi.ResourceOptions) -> KeyAndRequest:
    return KeyAndRequest(name, proxy_fqdn(domain), opts)


def sign(
    name: str, ca: FederationCa, csr_pem: pulumi.Input[str], validity_hours: int, opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """Sign a CSR that was already checked (components.fateconf.csr.csr_problem) with the federation CA."""
    cert = tls.LocallySignedCert(
        name,
        cert_request_pem=csr_pem,
        ca_cert_pem=ca.certificate_pem,
        ca_private_key_pem=ca.private_key_pem,
        allowed_uses=SERVER_USES,
        validity_period_hours=validity_hours,
        early_renewal_hours=24 * 30,
        opts=opts,
    )
    return cert.cert_pem
