"""FederationRoutes: who is in the federation, which of them are trusted, and where their traffic goes.

Turns the exchange's member list (party stacks read through StackReferences, or static entries) into the
SNI routes of the Traffic Server, the FATE Flow routes of the exchange's nginx, and signed certificates.
A member whose outputs are not there yet is pending: no route is written for it (never an empty address).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.fateconf.ats import SniRoute
from components.fateconf.csr import csr_problem
from components.fateconf.settings import Endpoint
from components.federation_pki import FederationCa, sign
from facts.names import party_fqdn

STATUS_ROUTED = "routed"
STATUS_PENDING = "pending"
STATUS_REFUSED = "refused"


@dataclass(frozen=True)
class Member:
    """A party as the exchange sees it: its public addresses and the CSR it asks the exchange to sign."""

    party_id: int
    source: str
    pulsar_tls_host: str
    pulsar_tls_port: int
    nginx: Endpoint
    csr_pem: pulumi.Input[str] | None = None
    csr_checked: bool = True
    """False when the CSR is an Output of this very program (the local stack), so it cannot be inspected
    before signing and does not need to be: the program made it itself."""
    own_pki: bool = False
    """The party brings its own broker certificate: routed, never signed."""


@dataclass(frozen=True)
class PendingMember:
    source: str
    reason: str
    party_id: int | None = None


class FederationRoutes(pulumi.ComponentResource):
    """Routes and certificates for every member; statuses for the ones that cannot be routed yet."""

    sni_routes: list[SniRoute]
    nginx_routes: dict[int, Endpoint]
    parties: dict[str, dict[str, Any]]
    pending: list[dict[str, Any]]

    def __init__(
        self, name: str, *, domain: str, ca: FederationCa | None, members: Sequence[Member],
        pending: Sequence[PendingMember], certificate_validity_hours: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("fate:index:FederationRoutes", name, None, opts)
        self.sni_routes = []
        self.nginx_routes = {}
        self.parties = {}
        self.pending = []
        for member in sorted(members, key=lambda m: m.party_id):
            fqdn = party_fqdn(member.party_id, domain)
            entry: dict[str, Any] = {
                "source": member.source,
                "fqdn": fqdn,
                "routes": {
                    "sni": {"fqdn": fqdn, "tunnelRoute": f"{member.pulsar_tls_host}:{member.pulsar_tls_port}"},
                    "nginx": {"host": member.nginx.host, "httpPort": member.nginx.http_port,
                              "grpcPort": member.nginx.grpc_port},
                },
                "certificatePem": None,
            }
            problem = None
            if member.csr_pem is not None and member.csr_checked:
                problem = csr_problem(str(member.csr_pem), member.party_id, domain)
            if problem is not None:
                pulumi.log.warn(f"party {member.party_id} ({member.source}): refusing to sign its CSR: {problem}")
                self.parties[str(member.party_id)] = {**entry, "status": STATUS_REFUSED, "reason": problem,
                                                      "routes": None}
                continue
            if member.csr_pem is not None and ca is not None:
                entry["certificatePem"] = sign(
                    f"{name}-{member.party_id}-cert", ca, member.csr_pem, certificate_validity_hours,
                    pulumi.ResourceOptions(parent=self),
                )
            self.sni_routes.append(SniRoute(fqdn=fqdn, tunnel_host=member.pulsar_tls_host,
                                            tunnel_port=member.pulsar_tls_port))
            self.nginx_routes[member.party_id] = member.nginx
            waiting = None if member.csr_pem is not None or member.own_pki else (
                f"no CSR from party {member.party_id} yet: it makes its key once it has read this exchange's "
                f"domain; run its stack ({member.source}), then this one to sign it")
            self.parties[str(member.party_id)] = {**entry, "status": STATUS_ROUTED, "reason": waiting,
                                                  **({"pki": "own"} if member.own_pki else {})}
        for waiting in pending:
            pulumi.log.warn(f"{waiting.source}: pending, no route written: {waiting.reason}")
            self.pending.append({"source": waiting.source, "partyId": waiting.party_id, "reason": waiting.reason})
            if waiting.party_id is not None:
                self.parties[str(waiting.party_id)] = {
                    "source": waiting.source, "fqdn": party_fqdn(waiting.party_id, domain), "routes": None,
                    "certificatePem": None, "status": STATUS_PENDING, "reason": waiting.reason,
                }
        self.register_outputs({"parties": self.parties, "pending": self.pending})
