"""The kinds of value users type, each with its one validator: names, ids, versions, quantities, URLs.

Every model in specs (and the typed settings in components.fateconf) uses these, so a kind of value is
accepted or refused the same way, with the same message, wherever it appears.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from facts.sizing import quantity_value
from facts.versions import check_version

MIN_PARTY_ID = 1
MAX_PARTY_ID = 2**31 - 1
"""FATE's party ids: positive integers that fit a Java int (eggroll and fateboard parse them as ints).
0 is not an id: FATE Flow 2.x uses party "0" internally for local jobs."""

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS_LABEL = re.compile(rf"^{_LABEL}$")
"""A Kubernetes name / one DNS label (RFC 1123), lower case."""
DNS_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
"""DNS labels joined by dots, lower case."""
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HTTP_BASE_URL = re.compile(r"^https?://[^/\s:]+(:[0-9]{1,5})?/?$")


def validate_party_id(value: Any) -> int:
    """A FATE party id as an int: an int or a string of digits, within FATE's range."""
    if isinstance(value, bool):
        raise ValueError("party ids are numbers (e.g. 9999), not true/false")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError(f"{value!r} is not a party id: party ids are whole numbers (e.g. 9999)")
    if not MIN_PARTY_ID <= value <= MAX_PARTY_ID:
        raise ValueError(
            f"party id {value} is out of FATE's range {MIN_PARTY_ID}..{MAX_PARTY_ID}: pick a number inside it")
    return value


def is_dns_label(value: str) -> bool:
    return bool(DNS_LABEL.match(value))


def is_dns_name(value: str) -> bool:
    return bool(DNS_NAME.match(value))


def check_dns_label(value: str) -> str:
    if not is_dns_label(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes name: use lower-case letters, digits and '-', at most 63 characters"
        )
    return value


def check_dns_name(value: str) -> str:
    if not is_dns_name(value):
        raise ValueError(f"{value!r} is not a DNS name (e.g. fate.example.org): lower-case labels joined by '.'")
    return value


def check_stack_name(value: str) -> str:
    if not _STACK_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a fully qualified stack name: use <organization>/<project>/<stack>, "
            "e.g. organization/fate-federation/exchange"
        )
    return value


def check_quantity(value: str) -> str:
    quantity_value(value)
    return value


def check_http_base_url(value: str | None) -> str | None:
    """A FATE Flow base URL (scheme, host, optional port), without the trailing slash."""
    if value is not None and not _HTTP_BASE_URL.match(value):
        raise ValueError(f"{value!r} is not a FATE Flow base URL (e.g. http://127.0.0.1:9380)")
    return value.rstrip("/") if value else value


Quantity = Annotated[str, AfterValidator(check_quantity)]
DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
DnsName = Annotated[str, AfterValidator(check_dns_name)]
PartyId = Annotated[int, BeforeValidator(validate_party_id)]
StackName = Annotated[str, AfterValidator(check_stack_name)]
FateVersion = Annotated[str, AfterValidator(check_version)]
HttpBaseUrl = Annotated[str | None, AfterValidator(check_http_base_url)]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveCount = Annotated[int, Field(ge=1)]


class Model(BaseModel):
    """camelCase keys, unknown keys rejected (a typo must not be silently ignored)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )
