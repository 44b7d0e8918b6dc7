"""Run the real program (or a component) under the Pulumi SDK's mocks, standing in for the engine.

There is no Pulumi engine and no Kubernetes API server here, so this module is the test double for
both: Kubernetes objects echo their inputs (plus what the API server would assign: load-balancer
addresses from 192.0.2.0/24, TEST-NET-1, and node ports), pulumi-tls is emulated with real
cryptography (fedctl.tls_emulation), pulumi-random makes real random values, and StackReferences
return the outputs given for the referenced stack. Resource outputs are kept per stack across runs,
as Pulumi state is, so a key made in one run is the same key in the next.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import secrets
import string
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.settings as runtime_settings
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_in_stack

from fedctl import tls_emulation

PROJECT = "fate-federation"
SECRET_KEY = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG = rpc._special_secret_sig
UNKNOWN = rpc.UNKNOWN
REDACTED = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
EMULATED_LB_NETWORK = "192.0.2"
"""TEST-NET-1 (RFC 5737): documentation addresses, so an emulated address is never mistaken for a real one."""


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The plain value, secret envelopes removed and integral floats (the wire has no ints) made ints."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def redact(value: Any) -> Any:
    """The value with every secret replaced by "[secret]"."""
    if is_secret(value):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class Registered:
    """One resource the program registered: its type, name, and inputs/outputs as the engine saw them."""

    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    custom: bool
    retain_on_delete: bool = False
    """Whether `pulumi destroy` leaves the object in place (ResourceOptions.retain_on_delete)."""

    @property
    def is_kubernetes_object(self) -> bool:
        return self.custom and self.typ.startswith("kubernetes:") and not self.typ.startswith("pulumi:providers")

    def manifest(self, show_secrets: bool = True) -> dict[str, Any]:
        """The object as it would be applied (Secret data redacted unless show_secrets)."""
        body = reveal(self.inputs) if show_secrets else redact(self.inputs)
        if not show_secrets and body.get("kind") == "Secret":
            for key in ("data", "stringData"):
                if isinstance(body.get(key), dict):
                    body[key] = {k: REDACTED for k in body[key]}
        ordered = {k: body[k] for k in ("apiVersion", "kind", "metadata") if k in body}
        ordered.update({k: v for k, v in body.items() if k not in ordered})
        return ordered


@dataclass
class StackRun:
    stack: str
    resources: list[Registered]
    raw_outputs: dict[str, Any]

    @property
    def outputs(self) -> dict[str, Any]:
        return reveal(self.raw_outputs)

    @property
    def secret_outputs(self) -> set[str]:
        return {k for k, v in self.raw_outputs.items() if contains_secret(v)}

    def redacted_outputs(self) -> dict[str, Any]:
        return redact(self.raw_outputs)

    def k8s_objects(self, kind: str | None = None, show_secrets: bool = True) -> list[dict[str, Any]]:
        return [r.manifest(show_secrets) for r in self.resources
                if r.is_kubernetes_object and (kind is None or r.inputs.get("kind") == kind)]

    def k8s_object(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        for obj in self.k8s_objects(kind):
            meta = obj.get("metadata", {})
            if meta.get("name") == name and (namespace is None or meta.get("namespace") == namespace):
                return obj
        raise KeyError(f"no {kind} {namespace}/{name}")

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]


@dataclass
class EngineState:
    """Outputs of earlier runs, per stack and resource, like Pulumi's state file."""

    resources: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)


def _fingerprint(inputs: Mapping[str, Any]) -> str:
    return json.dumps(reveal(dict(inputs)), sort_keys=True, default=str)


def _stable_number(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % modulo


class FederationMocks(pulumi.runtime.Mocks):
    """What the engine, the Kubernetes API server, pulumi-tls and pulumi-random would answer."""

    def __init__(self, stack: str, *, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                 secret_output_names: Mapping[str, list[str]] | None = None, state: EngineState | None = None,
                 preview: bool = False) -> None:
        self.stack = stack
        self.stack_outputs = stack_outputs or {}
        self.secret_output_names = secret_output_names or {}
        self.state = state or EngineState()
        self.preview = preview
        self.registered: list[Registered] = []
        self._node_ports: set[int] = set()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            name = args.inputs.get("name") or args.resource_id
            outputs = {"name": name, "outputs": dict(self.stack_outputs.get(name, {})),
                       "secretOutputNames": list(self.secret_output_names.get(name, []))}
            return f"{name}", outputs
        key = (self.stack, args.typ, args.name)
        fingerprint = _fingerprint(args.inputs)
        previous = self.state.resources.get(key)
        if previous is not None and previous[0] == fingerprint:
            outputs = previous[1]
        else:
            outputs = self._outputs(args)
            if not self.preview:
                self.state.resources[key] = (fingerprint, outputs)
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), outputs, bool(args.custom)))
        return f"{args.name}-id", outputs

    def _outputs(self, args: pulumi_mocks.MockResourceArgs) -> dict[str, Any]:
        inputs = reveal(dict(args.inputs))
        if args.typ in tls_emulation.TYPES:
            if self.preview and any(v == UNKNOWN for v in inputs.values() if isinstance(v, str)):
                return dict(args.inputs)
            return tls_emulation.emulate(args.typ, inputs)
        if args.typ in ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"):
            return {**args.inputs, "result": _random_string(inputs)}
        if args.typ == "kubernetes:core/v1:Service" and not self.preview:
            return self._service(dict(args.inputs), inputs)
        return dict(args.inputs)

    def _service(self, raw: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        spec = inputs.get("spec") or {}
        meta = inputs.get("metadata") or {}
        identity = f"{meta.get('namespace')}/{meta.get('name')}"
        kind = spec.get("type", "ClusterIP")
        if kind in ("NodePort", "LoadBalancer"):
            ports = []
            for port in spec.get("ports") or []:
                port = dict(port)
                if not port.get("nodePort"):
                    candidate = 30000 + _stable_number(f"{identity}/{port.get('name')}", 2768)
                    while candidate in self._node_ports:
                        candidate = 30000 + (candidate - 30000 + 1) % 2768
                    port["nodePort"] = candidate
                self._node_ports.add(port["nodePort"])
                ports.append(port)
            raw = {**raw, "spec": {**(raw.get("spec") or {}), "ports": ports}}
        if kind == "LoadBalancer":
            address = f"{EMULATED_LB_NETWORK}.{1 + _stable_number(identity, 254)}"
            raw["status"] = {"loadBalancer": {"ingress": [{"ip": address}]}}
        return raw

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        return {}


def _random_string(inputs: Mapping[str, Any]) -> str:
    length = int(inputs.get("length") or 16)
    alphabet = ""
    if inputs.get("upper", True):
        alphabet += string.ascii_uppercase
    if inputs.get("lower", True):
        alphabet += string.ascii_lowercase
    if inputs.get("numeric", True):
        alphabet += string.digits
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    return "".join(secrets.choice(alphabet or string.ascii_letters) for _ in range(length))


class _CapturingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping the stack's outputs (what `pulumi stack output` would show)."""

    def __init__(self, mocks: FederationMocks) -> None:
        super().__init__(mocks)
        self.stack_outputs: dict[str, Any] = {}
        self.retained: set[tuple[str, str]] = set()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if getattr(request, "retainOnDelete", False):
            self.retained.add((request.type, request.name))
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.urn.split("::")[2] == STACK_TYPE:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


def config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack config as the engine passes it: `project:key` -> string (objects as JSON)."""
    values = {}
    for key, value in config.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        values[full] = value if isinstance(value, str) else json.dumps(value)
    return values


def _run(stack: str, config: Mapping[str, Any], body: Callable[[], Any], *, secret_keys: list[str],
         stack_outputs: Mapping[str, Mapping[str, Any]] | None, secret_output_names: Mapping[str, list[str]] | None,
         state: EngineState | None, preview: bool) -> StackRun:
    mocks = FederationMocks(stack, stack_outputs=stack_outputs, secret_output_names=secret_output_names,
                            state=state, preview=preview)
    monitor = _CapturingMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
        runtime_settings.ROOT.set(None)
        pulumi.runtime.set_all_config(config_values(config),
                                      [k if ":" in k else f"{PROJECT}:{k}" for k in secret_keys])
        loop.run_until_complete(run_in_stack(body))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    for resource in mocks.registered:
        resource.retain_on_delete = (resource.typ, resource.name) in monitor.retained
    return StackRun(stack, mocks.registered, monitor.stack_outputs)


def run_program(project_dir: Path, stack: str, config: Mapping[str, Any], *, secret_keys: list[str] | None = None,
                stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                secret_output_names: Mapping[str, list[str]] | None = None, state: EngineState | None = None,
                preview: bool = False) -> StackRun:
    """Run the project's __main__.py as `pulumi up` (or `preview`) would, with these mocks."""
    project = str(Path(project_dir).resolve())
    if project not in sys.path:
        sys.path.insert(0, project)
    program = Path(project) / "__main__.py"
    return _run(stack, config, lambda: runpy.run_path(str(program), run_name="__main__"),
                secret_keys=secret_keys or [], stack_outputs=stack_outputs,
                secret_output_names=secret_output_names, state=state, preview=preview)


def run_function(fn: Callable[[], Mapping[str, Any] | None], *, stack: str = "test",
                 config: Mapping[str, Any] | None = None, secret_keys: list[str] | None = None,
                 stack_outputs: Mapping[str, Mapping[str, Any]] | None = None, preview: bool = False,
                 state: EngineState | None = None) -> StackRun:
    """Run `fn` (which registers resources and returns outputs) as a program of its own."""

    async def main() -> Mapping[str, Any]:
        return dict(fn() or {})

    return _run(stack, config or {}, lambda: pulumi.run(main), secret_keys=secret_keys or [],
                stack_outputs=stack_outputs, secret_output_names=None, state=state, preview=preview)
