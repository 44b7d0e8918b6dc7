"""The kinds of value users type, each with its one validator: names, ids, versions, quantities, URLs.

Every model in specs (and the typed settings in components.fateconf) uses these, so a kind of value is
accepted or refused the same way, with the same message, wherever it appears.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from facts.ports import NODE_PORT_RANGE
from facts.sizing import quantity_value
from facts.versions import SUPPORTED_FATE_VERSIONS, check_registry, check_version

MIN_PARTY_ID = 1
MAX_PARTY_ID = 2**31 - 1
"""FATE's party ids: positive integers that fit a Java int (eggroll and fateboard parse them as ints).
0 is not an id: FATE Flow 2.x uses party "0" internally for local jobs."""

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS_LABEL = re.compile(rf"^{_LABEL}$")
"""A Kubernetes name / one DNS label (RFC 1123), lower case."""
DNS_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
"""DNS labels joined by dots, lower case."""
_QUALIFIED_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
"""The name part of a Kubernetes label or annotation key."""
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HTTP_BASE_URL = re.compile(r"^https?://[^/\s:]+(:(?P<port>[0-9]{1,5}))?/?$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REFERENCE = re.compile(
    rf"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?/)?"
    rf"{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[a-f0-9]{{64}})?$")
"""An image reference as the distribution spec writes it: [registry[:port]/]path[:tag][@sha256:digest]."""

MIN_PORT, MAX_PORT = 1, 65535
MAX_DNS_NAME = 253
RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
"""Namespaces Kubernetes makes and uses itself: we would label them and put a NetworkPolicy in them."""
MIN_VOLUME_SIZE, MAX_VOLUME_SIZE = "100Mi", "64Ti"
"""Bounds of a volume: below 100Mi no FATE module holds its data; 64Ti is the largest single disk the big
clouds offer (a bigger number is a typo)."""
MAX_REPLICAS = 256
"""Spark workers / HDFS datanodes of one party: far beyond any FATE deployment, low enough to catch a typo."""
MAX_VALIDITY_HOURS = 24 * 365 * 100
"""Certificate lifetimes: 100 years at most (the end date of a much longer one overflows date types)."""
MIN_AWAIT_TIMEOUT_SECONDS, MAX_AWAIT_TIMEOUT_SECONDS = 10, 6 * 3600
"""How long `pulumi up` waits for a workload to become ready: under 10 s no pod is scheduled and started,
over 6 hours a stuck pod only keeps the run (and its lock on the stack) hanging."""


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


def check_federation_domain(value: str) -> str:
    """The federation's domain: parties are `<partyId>.<domain>`, so it has at least two labels."""
    check_dns_name(value)
    if "." not in value:
        raise ValueError(f"{value!r} is one DNS label: the federation's domain needs at least two, e.g. "
                         "fate.example.org (parties are named <partyId>.<domain>)")
    return value


def check_annotation_key(value: str) -> str:
    """A Kubernetes annotation key: `[prefix/]name`, the prefix a DNS name, the name at most 63 characters."""
    prefix, _, name = value.rpartition("/")
    if not _QUALIFIED_NAME.match(name) or (prefix and not is_dns_name(prefix)) or ("/" in value and not prefix):
        raise ValueError(f"{value!r} is not an annotation key: write [prefix/]name, e.g. "
                         "service.beta.kubernetes.io/aws-load-balancer-internal")
    return value


def check_stack_name(value: str) -> str:
    if not _STACK_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a fully qualified stack name: use <organization>/<project>/<stack>, "
            "e.g. organization/fate-federation/exchange"
        )
    return value


def check_namespace(value: str) -> str:
    """A namespace of our own: a Kubernetes name that is not one of the namespaces Kubernetes uses."""
    check_dns_label(value)
    if value in RESERVED_NAMESPACES:
        raise ValueError(f"{value!r} is a namespace Kubernetes keeps for itself (we would label it and put a "
                         "NetworkPolicy in it): give it a namespace of its own, e.g. fate-9999 or fate-exchange")
    return value


def host_problem(value: Any) -> str | None:
    """Why `value` is not a host name (DNS labels joined by dots, at most 253 characters) or IP address."""
    if not isinstance(value, str) or not value:
        return f"{value!r} is not a host name or IP address (e.g. fate.example.org or 192.0.2.10)"
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    name = value[:-1] if value.endswith(".") else value
    if len(name) > MAX_DNS_NAME or not all(is_dns_label(label.lower()) for label in name.split(".")):
        return (f"{value!r} is not a host name or IP address: write only the host (e.g. fate.example.org or "
                "192.0.2.10), without scheme, port or spaces")
    return None


def check_host(value: Any) -> str:
    problem = host_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def url_problem(value: Any, schemes: tuple[str, ...], example: str) -> str | None:
    """Why `value` is not a URL starting with one of `schemes`, or None."""
    if not isinstance(value, str) or not value.startswith(schemes) or any(c.isspace() for c in value):
        return f"{value!r} is not a URL starting with {' or '.join(schemes)} (e.g. {example})"
    return None


def url_checker(schemes: tuple[str, ...], example: str) -> AfterValidator:
    def check(value: str) -> str:
        problem = url_problem(value, schemes, example)
        if problem:
            raise ValueError(problem)
        return value
    return AfterValidator(check)


def check_quantity(value: str) -> str:
    quantity_value(value)
    return value


def _number_to_text(value: Any) -> Any:
    """CPU counts may be written as numbers (`cpu: 2`); Kubernetes quantities are text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def size_checker(minimum: str, maximum: str) -> BeforeValidator:
    """A byte size with its unit (e.g. 10Gi), between `minimum` and `maximum`."""
    def check(value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value} has no unit (a bare number is bytes): write e.g. {value:g}Gi")
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a size: write a Kubernetes quantity, e.g. 10Gi")
        size = quantity_value(value)
        if size < quantity_value(minimum):
            raise ValueError(f"{value} is too small: at least {minimum}")
        if size > quantity_value(maximum):
            raise ValueError(f"{value} is too large: at most {maximum}")
        return value
    return BeforeValidator(check)


def whole_number_checker(minimum: int, maximum: int, example: str) -> BeforeValidator:
    """A whole number from `minimum` to `maximum` (written as a number, not text or true/false)."""
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not a whole number (e.g. {example})")
        if not minimum <= value <= maximum:
            raise ValueError(f"{value} is out of range: at least {minimum} and at most {maximum}")
        return value
    return BeforeValidator(check)


def count_checker(maximum: int) -> BeforeValidator:
    """A whole number from 1 to `maximum`."""
    return whole_number_checker(1, maximum, example="2")


def check_fate_version(value: Any) -> str:
    """A supported FATE version, written as text (YAML reads an unquoted 2.0 as a number)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is a number in YAML, not a version: quote it (e.g. fateVersion: \"2.0.0\"); "
                         f"the supported versions are {', '.join(SUPPORTED_FATE_VERSIONS)}")
    return check_version(value)


def check_http_base_url(value: str | None) -> str | None:
    """A FATE Flow base URL (scheme, host, optional port), without the trailing slash."""
    if value is None:
        return value
    match = _HTTP_BASE_URL.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a FATE Flow base URL (e.g. http://127.0.0.1:9380)")
    if match["port"] and not MIN_PORT <= int(match["port"]) <= MAX_PORT:
        raise ValueError(f"{value!r}: port {match['port']} is not a TCP port ({MIN_PORT}..{MAX_PORT}): give FATE "
                         "Flow's port (e.g. http://127.0.0.1:9380)")
    return value.rstrip("/")


def check_image_reference(value: str) -> str:
    if not _IMAGE_REFERENCE.match(value):
        raise ValueError(f"{value!r} is not an image reference: write [registry/]name:tag, "
                         "e.g. federatedai/trafficserver:2.0.0-release")
    return value


def check_single_line(value: str) -> str:
    if not value.strip() or "\n" in value or "\r" in value:
        raise ValueError(f"{value!r} must be one line of text, not empty")
    return value


Quantity = Annotated[str, BeforeValidator(_number_to_text), AfterValidator(check_quantity)]
VolumeSize = Annotated[str, size_checker(MIN_VOLUME_SIZE, MAX_VOLUME_SIZE)]
DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
Namespace = Annotated[str, AfterValidator(check_namespace)]
DnsName = Annotated[str, AfterValidator(check_dns_name)]
FederationDomain = Annotated[str, AfterValidator(check_federation_domain)]
Host = Annotated[str, AfterValidator(check_host)]
PartyId = Annotated[int, BeforeValidator(validate_party_id)]
StackName = Annotated[str, AfterValidator(check_stack_name)]
AnnotationKey = Annotated[str, AfterValidator(check_annotation_key)]
FateVersion = Annotated[str, BeforeValidator(check_fate_version)]
HttpBaseUrl = Annotated[str | None, AfterValidator(check_http_base_url)]
SparkMasterUrl = Annotated[str, url_checker(("spark://", "local", "k8s://", "yarn"), "spark://spark.example.org:7077")]
HdfsUrl = Annotated[str, url_checker(("hdfs://",), "hdfs://namenode.example.org:9000")]
ImageReference = Annotated[str, AfterValidator(check_image_reference)]
Registry = Annotated[str, AfterValidator(lambda value: value and check_registry(value))]
SingleLine = Annotated[str, AfterValidator(check_single_line)]
Port = Annotated[int, Field(ge=MIN_PORT, le=MAX_PORT)]
PositiveCount = Annotated[int, Field(ge=1)]
ReplicaCount = Annotated[int, count_checker(MAX_REPLICAS)]
ValidityHours = Annotated[int, count_checker(MAX_VALIDITY_HOURS)]
NodePort = Annotated[int, whole_number_checker(*NODE_PORT_RANGE, example="30443")]
AwaitTimeoutSeconds = Annotated[int, whole_number_checker(MIN_AWAIT_TIMEOUT_SECONDS, MAX_AWAIT_TIMEOUT_SECONDS,
                                                          example="600, in seconds")]


class Model(BaseModel):
    """camelCase keys, unknown keys rejected (a typo must not be silently ignored)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )
