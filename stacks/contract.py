"""The outputs contract between stacks (docs/outputs.md, docs/outputs.schema.json).

Other teams and the other stacks of the federation read these outputs, so their shape is versioned.
Reading another stack never crashes on a stack that is not deployed yet: that is a pending state with
a message; a stack that exports something else than the contract is a configuration error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pulumi

SCHEMA_VERSION = 1
PARTY_KEYS = ("schemaVersion", "role", "partyId", "namespace", "fateVersion", "endpoints", "joinStatus")
EXCHANGE_KEYS = ("schemaVersion", "role", "partyId", "domain", "namespace", "endpoints", "caCertPem", "parties")
OPTIONAL_KEYS = {"party": ("csrPem", "pki"), "exchange": ("pendingParties",)}
"""Read when exported, not required: what a reader only needs to check more (the exchange's whole member
list, for the party's own checks of job and verification parties). A party exports `csrPem: null` until it
has read the exchange (its key names the federation's domain), which reads exactly as a missing key, and
`pki: own` when it brings its own PKI (it never exports a CSR): the exchange routes both, and signs a CSR
once there is one, so the stacks converge in any order."""

PKI_OWN = "own"
"""A party's `pki` output when it brings its own broker certificate (party.pki.existingSecret)."""
PKI_FEDERATION = "federation"
"""A party's `pki` output when the exchange signs its CSR."""

JOIN_AWAITING_EXCHANGE = "awaiting-exchange"
JOIN_AWAITING_CERTIFICATE = "awaiting-certificate"
JOIN_JOINED = "joined"


class ContractError(pulumi.RunError):
    """A referenced stack exports something that is not this contract (shown without a traceback)."""


@dataclass(frozen=True)
class Pending:
    """A peer stack whose outputs are not there yet, and what to run to get them."""

    stack: str
    reason: str


async def read_outputs(ref: pulumi.StackReference, keys: Iterable[str]) -> dict[str, Any]:
    """The plain values of a referenced stack's outputs (secret ones included, still secret in state)."""
    values: dict[str, Any] = {}
    for key in keys:
        details = await ref.get_output_details(key)
        value = details.value if details.value is not None else details.secret_value
        if value is not None:
            values[key] = value
    return values


def check_contract(stack: str, outputs: dict[str, Any], role: str, keys: tuple[str, ...]) -> Pending | None:
    """None when `outputs` is a complete `role` contract; Pending when the stack has no outputs yet.

    Raises ContractError when the stack exports a different contract (wrong role or schemaVersion, or
    only some of the keys), because waiting would not fix that.
    """
    if not outputs:
        return Pending(stack, f"stack {stack} has no outputs yet: run `pulumi up -s {stack.split('/')[-1]}`")
    version = outputs.get("schemaVersion")
    if version != SCHEMA_VERSION:
        raise ContractError(
            f"stack {stack} exports schemaVersion {version!r}, this program reads {SCHEMA_VERSION}: "
            "check the stack name, or run the same fate-federation release in both stacks"
        )
    if outputs.get("role") != role:
        raise ContractError(
            f"stack {stack} is a {outputs.get('role')!r} stack, expected a {role} stack: check the stack name"
        )
    missing = [key for key in keys if key not in outputs]
    if missing:
        raise ContractError(
            f"stack {stack} does not export the {role} contract (missing {', '.join(missing)}): "
            f"run `pulumi up -s {stack.split('/')[-1]}` with this fate-federation release"
        )
    return None


async def read_stack(name: str, stack: str, role: str, opts: pulumi.ResourceOptions | None = None
                     ) -> dict[str, Any] | Pending:
    """Read another stack of the federation through a StackReference."""
    keys = PARTY_KEYS if role == "party" else EXCHANGE_KEYS
    ref = pulumi.StackReference(name, stack_name=stack, opts=opts)
    outputs = await read_outputs(ref, keys + OPTIONAL_KEYS[role])
    pending = check_contract(stack, outputs, role, keys)
    return pending if pending is not None else outputs

