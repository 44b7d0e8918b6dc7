"""Party-id uniqueness across a federation, checked in one place for every role.

Two members with one party id, or a member with the exchange's id, would misroute traffic. The exchange
and local configs check their own lists with it; the exchange stack checks again once it has read the
party stacks' ids.
"""

from __future__ import annotations

from collections.abc import Iterable


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
