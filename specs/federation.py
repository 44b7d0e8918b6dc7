"""Party-id uniqueness and one FATE generation across a federation, checked in one place for every role.

Two members with one party id, or a member with the exchange's id, would misroute traffic. The exchange
and local configs check their own lists with it; the exchange stack checks again once it has read the
party stacks' ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from facts.versions import is_fate_2


def party_id_problem(members: Iterable[tuple[int, str]], exchange_party_id: int) -> str | None:
    """The first clash among `(party id, where it comes from)` pairs, or None."""
    seen: dict[int, str] = {}
    for party_id, source in members:
        if party_id == exchange_party_id:
            return (f"{source} has party id {party_id}, which is the exchange's own partyId: give the party or "
                    "the exchange another id")
        if party_id in seen:
            return (f"{seen[party_id]} and {source} both have party id {party_id}: party ids must be unique in a "
                    "federation")
        seen[party_id] = source
    return None


def same_fate_generation(version: str, other: str) -> bool:
    """FATE 1.x and 2.x parties do not federate (other protocols, other route tables)."""
    return is_fate_2(version) == is_fate_2(other)


def fate_mismatch(who: str, version: str, exchange_version: str) -> str:
    """The message for a member whose FATE version does not federate with the exchange's."""
    return (f"{who} runs FATE {version}, the exchange's nginx FATE {exchange_version} (exchange.nginxFateVersion): "
            "FATE 1.x and 2.x do not federate; run one FATE version across the federation")
