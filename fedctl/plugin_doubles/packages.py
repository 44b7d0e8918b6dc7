"""What the stand-in (test-double) tls and random plugins serve: per resource type, its defaults, its
computed outputs and which of them are secret. NOT the real providers (see fedctl.plugin_doubles).

The values come from the emulations the offline render already uses (fedctl.tls_emulation,
fedctl.random_emulation); this module only adds what the engine needs beyond them: the defaults the real
providers' Check fills in, the OpenSSH forms and fingerprints of a key, CertRequest's keyAlgorithm, the
bcrypt hash of a password, and an id. `computed` names every output-only property the SDK classes read
(tests/test_plugin_doubles.py compares them with pulumi_tls / pulumi_random).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import bcrypt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fedctl import random_emulation, tls_emulation

Outputs = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    """One resource type: `compute(inputs) -> computed outputs` and `identify(outputs) -> id`."""

    token: str
    computed: tuple[str, ...]
    compute: Callable[[Mapping[str, Any]], Outputs]
    identify: Callable[[Mapping[str, Any]], str]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    secret: frozenset[str] = frozenset()
    renews: bool = False
    """A certificate: replaced once inside its early-renewal window, as pulumi-tls plans it (readyForRenewal)."""


@dataclass(frozen=True)
class Package:
    """A plugin: its name, the version the Python SDK package asks for, its resource types."""

    name: str
    sdk_module: str
    types: Mapping[str, ResourceType]

    @property
    def version(self) -> str:
        """The version the SDK's pulumi-plugin.json names, so the engine's version check is satisfied."""
        return str(json.loads(resources.files(self.sdk_module).joinpath("pulumi-plugin.json").read_text())["version"])


def ready_for_renewal(outputs: Mapping[str, Any], now: dt.datetime | None = None) -> bool:
    """pulumi-tls's rule: a certificate is due once `now` passes validityEndTime - earlyRenewalHours."""
    end = dt.datetime.fromisoformat(str(outputs["validityEndTime"]).replace("Z", "+00:00"))
    early = dt.timedelta(hours=float(outputs.get("earlyRenewalHours") or 0))
    return (now or dt.datetime.now(dt.timezone.utc)) >= end - early


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _serial(outputs: Mapping[str, Any]) -> str:
    """The certificate's serial number in decimal, as pulumi-tls uses for a certificate's id."""
    return str(x509.load_pem_x509_certificate(str(outputs["certPem"]).encode()).serial_number)


def _private_key(inputs: Mapping[str, Any]) -> Outputs:
    """The emulation's PEM forms plus the OpenSSH forms and fingerprints the provider also returns."""
    outputs = tls_emulation.private_key(inputs)
    key = serialization.load_pem_private_key(outputs["privateKeyPem"].encode(), password=None)
    public_openssh = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                   serialization.PublicFormat.OpenSSH).decode()
    blob = base64.b64decode(public_openssh.split()[1])
    md5 = hashlib.md5(blob).hexdigest()
    return {
        **outputs,
        "privateKeyOpenssh": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                               serialization.NoEncryption()).decode(),
        "publicKeyOpenssh": public_openssh + "\n",
        "publicKeyFingerprintMd5": ":".join(md5[i:i + 2] for i in range(0, len(md5), 2)),
        "publicKeyFingerprintSha256": "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="),
    }


def _cert_request(inputs: Mapping[str, Any]) -> Outputs:
    return {**tls_emulation.cert_request(inputs), "keyAlgorithm": "RSA"}  # the emulation signs with RSA keys only


def _password(inputs: Mapping[str, Any]) -> Outputs:
    """pulumi-random's RandomPassword: the value and its bcrypt hash (Go's x/crypto/bcrypt: $2a$, cost 10)."""
    result = random_emulation.random_text(inputs)
    return {"result": result,
            "bcryptHash": bcrypt.hashpw(result.encode(), bcrypt.gensalt(rounds=10, prefix=b"2a")).decode()}


_CERT_OUTPUTS = ("certPem", "readyForRenewal", "validityEndTime", "validityStartTime")
_CERT_DEFAULTS = {"earlyRenewalHours": 0, "isCaCertificate": False, "setSubjectKeyId": False}
_RANDOM_DEFAULTS = {"lower": True, "upper": True, "numeric": True, "number": True, "special": True,
                    "minLower": 0, "minUpper": 0, "minNumeric": 0, "minSpecial": 0}

TLS = Package("tls", "pulumi_tls", {t.token: t for t in (
    ResourceType(tls_emulation.PRIVATE_KEY,
                 ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh",
                  "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"),
                 _private_key, lambda outputs: _sha1(str(outputs["publicKeyPem"])),
                 defaults={"rsaBits": tls_emulation.DEFAULT_RSA_BITS, "ecdsaCurve": "P224"},
                 secret=frozenset({"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"})),
    ResourceType(tls_emulation.SELF_SIGNED_CERT, (*_CERT_OUTPUTS, "keyAlgorithm"), tls_emulation.self_signed_cert,
                 _serial, defaults={**_CERT_DEFAULTS, "setAuthorityKeyId": False}, renews=True),
    ResourceType(tls_emulation.CERT_REQUEST, ("certRequestPem", "keyAlgorithm"), _cert_request,
                 lambda outputs: _sha1(str(outputs["certRequestPem"]))),
    ResourceType(tls_emulation.LOCALLY_SIGNED_CERT, (*_CERT_OUTPUTS, "caKeyAlgorithm"),
                 tls_emulation.locally_signed_cert, _serial, defaults=_CERT_DEFAULTS, renews=True),
)})

RANDOM = Package("random", "pulumi_random", {t.token: t for t in (
    ResourceType(random_emulation.RANDOM_PASSWORD, ("result", "bcryptHash"), _password, lambda _outputs: "none",
                 defaults=_RANDOM_DEFAULTS, secret=frozenset({"result", "bcryptHash"})),
    ResourceType(random_emulation.RANDOM_STRING, ("result",),
                 lambda inputs: {"result": random_emulation.random_text(inputs)},
                 lambda outputs: str(outputs["result"]), defaults=_RANDOM_DEFAULTS),
)})

PACKAGES = {package.name: package for package in (TLS, RANDOM)}
