"""What a run leaves behind: the resources registered, the stack's outputs and log, and the state
(resource outputs, addresses, node ports, auto-names) carried from run to run as Pulumi state is."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fedctl.wire import REDACTED, contains_secret, redact, reveal


@dataclass
class Registered:
    """One resource the program registered (or read): inputs and outputs as the engine saw them."""

    typ: str
    name: str
    inputs: dict[str, Any]
    """Raw inputs (secret envelopes kept), after the provider's check (auto-names filled in)."""
    outputs: dict[str, Any]
    custom: bool
    retain_on_delete: bool = False
    """Whether `pulumi destroy` leaves the object in place (ResourceOptions.retain_on_delete)."""
    urn: str = ""
    read: bool = False
    """A read of an existing object (`.get`, StackReference): nothing the program would apply."""
    dependencies: tuple[str, ...] = ()
    """URNs the engine waits for before creating this one (depends_on and inputs from other resources)."""
    import_id: str | None = None
    """The id of the live object the program adopts (ResourceOptions.import_), if any."""

    @property
    def is_kubernetes_object(self) -> bool:
        return self.custom and not self.read and self.typ.startswith("kubernetes:")

    def manifest(self, show_secrets: bool = True) -> dict[str, Any]:
        """The object as it would be applied; secrets (and all Secret data) redacted unless show_secrets."""
        plain = reveal(self.inputs)
        body = plain if show_secrets else redact(self.inputs)
        if not show_secrets and body.get("kind") == "Secret":
            for key in ("data", "stringData"):  # keys stay visible for review, values never
                if isinstance(plain.get(key), dict):
                    body[key] = {k: REDACTED for k in plain[key]}
        return _canonical(body, top_level=True)


def _canonical(value: Any, top_level: bool = False) -> Any:
    """Keys sorted at every level (the wire's map order is not stable), apiVersion/kind/metadata
    first: two renders of the same program give the same files, so a diff shows only real changes."""
    if isinstance(value, dict):
        first = [k for k in ("apiVersion", "kind", "metadata") if top_level and k in value]
        return {k: _canonical(value[k]) for k in first + sorted(k for k in value if k not in first)}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


@dataclass(frozen=True)
class LogMessage:
    severity: str
    """debug, info, warning or error (what `pulumi up` would print as such)."""
    message: str


@dataclass
class StackRun:
    """One run of a program: what it registered, what it exported, what it logged."""

    stack: str
    resources: list[Registered]
    raw_outputs: dict[str, Any]
    """Stack outputs as the engine holds them (secret envelopes, unknowns in a preview)."""
    messages: list[LogMessage] = field(default_factory=list)

    @property
    def outputs(self) -> dict[str, Any]:
        return reveal(self.raw_outputs)

    @property
    def secret_outputs(self) -> set[str]:
        return {k for k, v in self.raw_outputs.items() if contains_secret(v)}

    def redacted_outputs(self) -> dict[str, Any]:
        return redact(self.raw_outputs)

    @property
    def warnings(self) -> list[str]:
        return [m.message for m in self.messages if m.severity in ("warning", "error")]

    def k8s_objects(self, kind: str | None = None, show_secrets: bool = True, *,
                    namespace: str | None = None) -> list[dict[str, Any]]:
        """Every Kubernetes object the program would apply (optionally one kind / namespace), as manifests."""
        manifests = (r.manifest(show_secrets) for r in self.resources if r.is_kubernetes_object)
        return [m for m in manifests if (kind is None or m.get("kind") == kind)
                and (namespace is None or (m.get("metadata") or {}).get("namespace") == namespace)]

    def k8s_object(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        for obj in self.k8s_objects(kind, namespace=namespace):
            if (obj.get("metadata") or {}).get("name") == name:
                return obj
        raise KeyError(f"no {kind} {namespace or '*'}/{name}")

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]


@dataclass
class EngineState:
    """What Pulumi's state file and the clusters remember between runs: resource outputs by URN,
    load-balancer addresses (unique across every stack sharing this state) and node ports."""

    resources: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """URN -> (fingerprint of the inputs, outputs)."""
    load_balancer_addresses: dict[str, str] = field(default_factory=dict)
    node_ports: dict[str, dict[str, int]] = field(default_factory=dict)
    """Service URN -> port name -> node port; one cluster per stack."""
    autonames: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Immutable auto-named object URN -> (fingerprint of its data, replacements so far)."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


class ProgramLog:
    """Collects what the program logs (pulumi.log.*), so a caller decides what to show; the four methods
    of a logger, as `set_mocks` takes one."""

    def __init__(self) -> None:
        self.messages: list[LogMessage] = []

    def _add(self, severity: str, message: str) -> None:
        self.messages.append(LogMessage(severity, str(message)))

    def debug(self, message: str) -> None:
        self._add("debug", message)

    def info(self, message: str) -> None:
        self._add("info", message)

    def warning(self, message: str) -> None:
        self._add("warning", message)

    def error(self, message: str) -> None:
        self._add("error", message)
