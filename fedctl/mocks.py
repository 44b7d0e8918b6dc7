"""Run the real program (or a component) under the Pulumi SDK's mocks, standing in for the engine.

There is no Pulumi engine and no Kubernetes API server here, so this module is the test double for
both, answering what they would:
- Kubernetes objects echo their inputs, plus what the provider and the API server add: an auto-name
  (logical name + a hash of the URN, a new one each time an immutable ConfigMap/Secret is replaced
  because its data changed, as the provider does), LoadBalancer addresses from 192.0.2.0/24 (TEST-NET-1, RFC 5737: documentation
  addresses, so an emulated address is never mistaken for a real one), node ports 30000-32767.
- pulumi-tls is emulated with real cryptography (fedctl.tls_emulation); pulumi-random makes real
  random values; outputs a resource declares secret (additional_secret_outputs) come back secret, as
  the engine makes them.
- StackReferences return the outputs given for the referenced stack (none: no outputs).
- Resource outputs persist in an EngineState keyed by URN, as Pulumi state does: a key made in one
  run is the same key in the next, unless the resource's inputs changed (then it is replaced).
A preview run keeps its hands off the state: new or changed resources get no computed outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
import runpy
import secrets
import string
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.settings as runtime_settings
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_in_stack

from fedctl import tls_emulation
from fedctl.stackfiles import project_name

DEFAULT_PROJECT = "fate-federation"
SECRET_KEY = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG = rpc._special_secret_sig
UNKNOWN = rpc.UNKNOWN
REDACTED = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RANDOM_STRING = "random:index/randomString:RandomString"
EMULATED_LB_NETWORK = ipaddress.ip_network("192.0.2.0/24")
"""TEST-NET-1 (RFC 5737): never routed, so an emulated address cannot be mistaken for a real one."""
NODE_PORTS = range(30000, 32768)
"""The API server's default Service node port range."""
AUTONAMED_ANNOTATION = "pulumi.com/autonamed"
RANDOM_DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
"""pulumi-random's special characters unless override_special is given."""


class EmulationError(Exception):
    """What the API server or a provider would refuse (a taken node port, an impossible password)."""


# --- secrets on the wire ---------------------------------------------------------------------------

def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_KEY) == SECRET_SIG


def _secret(value: Any) -> dict[str, Any]:
    return value if is_secret(value) else {SECRET_KEY: SECRET_SIG, "value": value}


def _walk(value: Any, on_secret: Callable[[Any], Any]) -> Any:
    if is_secret(value):
        return on_secret(value)
    if isinstance(value, dict):
        return {k: _walk(v, on_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_secret) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has no integers
    return value


def reveal(value: Any) -> Any:
    """The plain value: secret envelopes removed, integral floats made ints."""
    return _walk(value, lambda secret: reveal(secret.get("value")))


def redact(value: Any) -> Any:
    """The value with every secret replaced by "[secret]"."""
    return _walk(value, lambda _secret_value: REDACTED)


def _anywhere(value: Any, found: Callable[[Any], bool]) -> bool:
    """Whether `found` holds for the value or anything nested in it."""
    if found(value):
        return True
    if isinstance(value, dict):
        return any(_anywhere(v, found) for v in value.values())
    if isinstance(value, list):
        return any(_anywhere(v, found) for v in value)
    return False


def contains_secret(value: Any) -> bool:
    return _anywhere(value, is_secret)


# --- what a run leaves behind ----------------------------------------------------------------------

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


ProgramRun = StackRun


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


# --- the emulation ---------------------------------------------------------------------------------

def _fingerprint(inputs: Mapping[str, Any]) -> str:
    return json.dumps(reveal(dict(inputs)), sort_keys=True, default=str)


def _stable_number(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % modulo


def _has_unknown(value: Any) -> bool:
    return _anywhere(value, lambda v: isinstance(v, pulumi.output.Unknown) or (isinstance(v, str) and v == UNKNOWN))


def _urn_stack(urn: str) -> str:
    return urn.split("::")[0].removeprefix("urn:pulumi:")


def random_text(inputs: Mapping[str, Any]) -> str:
    """A random value as pulumi-random makes it: length, the character classes and their minimums."""
    length = int(inputs.get("length") or 0)
    special = inputs.get("overrideSpecial") or RANDOM_DEFAULT_SPECIAL
    numeric = inputs.get("numeric", True) and inputs.get("number", True)
    classes = [(inputs.get("upper", True), "minUpper", string.ascii_uppercase),
               (inputs.get("lower", True), "minLower", string.ascii_lowercase),
               (numeric, "minNumeric", string.digits),
               (inputs.get("special", True), "minSpecial", special)]
    chosen = [(int(inputs.get(minimum) or 0), alphabet) for enabled, minimum, alphabet in classes if enabled]
    if not chosen:
        raise EmulationError("random: every character class is off (upper, lower, numeric, special)")
    if length < 1 or sum(m for m, _ in chosen) > length:
        raise EmulationError(f"random: length {length} is below 1 or below the sum of the min_* counts")
    rng = secrets.SystemRandom()
    characters = [rng.choice(alphabet) for minimum, alphabet in chosen for _ in range(minimum)]
    everything = "".join(alphabet for _, alphabet in chosen)
    characters += [rng.choice(everything) for _ in range(length - len(characters))]
    rng.shuffle(characters)
    return "".join(characters)


class _ProgramLog:
    """Collects what the program logs (pulumi.log.*), so a caller decides what to show."""

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


class FederationMocks(pulumi.runtime.Mocks):
    """What the engine, the Kubernetes API server, pulumi-tls and pulumi-random would answer."""

    def __init__(self, stack: str, *, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                 secret_output_names: Mapping[str, list[str]] | None = None, state: EngineState | None = None,
                 preview: bool = False, existing_objects: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.stack = stack
        self.stack_outputs = stack_outputs or {}
        self.secret_output_names = secret_output_names or {}
        self.state = state if state is not None else EngineState()
        self.preview = preview
        self.existing_objects = existing_objects or {}
        """Objects a program reads with `.get`, by "<Kind>/<id>" (e.g. "Secret/fate-exchange/pki")."""
        self.registered: list[Registered] = []
        self.log = _ProgramLog()
        self.providers: dict[str, dict[str, Any]] = {}
        self._request = threading.local()
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()
        """Event loops the SDK's mock monitor opened in worker threads: closed after the run, not at exit."""
        """The gRPC request being answered on this thread (the SDK registers from a thread pool)."""

    @contextlib.contextmanager
    def answering(self, request: Any, urn: str, read: bool) -> Iterator[None]:
        self._request.current = (request, urn, read)
        try:
            yield
        finally:
            self._request.current = None
            with contextlib.suppress(RuntimeError):  # the loop the SDK made for this worker thread
                self.thread_loops.add(asyncio.get_event_loop())

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        request, urn, read = getattr(self._request, "current", None) or (None, "", args.resource_id is not None)
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args, urn)
        inputs = dict(args.inputs)
        if read:
            outputs = self._read(args)
        else:
            if args.typ.startswith("kubernetes:") and args.custom:
                inputs = self._check_kubernetes(args, urn, inputs)
            outputs = self._remembered(args, urn, inputs)
            for name in getattr(request, "additionalSecretOutputs", None) or []:
                if name in outputs:
                    outputs[name] = _secret(outputs[name])
        if args.typ == KUBERNETES_PROVIDER:
            self.providers[urn] = reveal(inputs)
        self.registered.append(Registered(args.typ, args.name, inputs, outputs, bool(args.custom),
                                          urn=urn, read=read))
        return (args.resource_id if read else f"{args.name}-id"), outputs

    def _stack_reference(self, args: pulumi_mocks.MockResourceArgs, urn: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("name") or args.resource_id
        outputs = {"name": name, "outputs": dict(self.stack_outputs.get(name, {})),
                   "secretOutputNames": list(self.secret_output_names.get(name, []))}
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), outputs, True, urn=urn, read=True))
        return str(name), outputs

    def _read(self, args: pulumi_mocks.MockResourceArgs) -> dict[str, Any]:
        """A read of an object outside the program: from existing_objects, else only its name."""
        kind = args.typ.rsplit(":", 1)[-1]
        found = self.existing_objects.get(f"{kind}/{args.resource_id}")
        if found is not None:
            return dict(found)
        self.log.warning(f"{kind} {args.resource_id} is read from the cluster: not visible offline, rendered empty")
        namespace, _, name = str(args.resource_id).rpartition("/")
        return {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}

    def _remembered(self, args: pulumi_mocks.MockResourceArgs, urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """State's outputs when the inputs are unchanged (no replacement); else fresh outputs."""
        fingerprint = _fingerprint(inputs)
        with self.state.lock:
            previous = self.state.resources.get(urn)
        if previous is not None and previous[0] == fingerprint:
            return dict(previous[1])
        if self.preview:
            return inputs  # what a preview knows of a new or changed resource: its inputs
        outputs = self._outputs(args, urn, inputs)
        with self.state.lock:
            self.state.resources[urn] = (fingerprint, outputs)
        return dict(outputs)

    def _outputs(self, args: pulumi_mocks.MockResourceArgs, urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
        plain = reveal(inputs)
        if args.typ in tls_emulation.TYPES:
            return {**inputs, **{k: v for k, v in tls_emulation.emulate(args.typ, plain).items() if k not in plain}}
        if args.typ in (RANDOM_PASSWORD, RANDOM_STRING):
            return {**inputs, "result": random_text(plain)}
        if args.typ == "kubernetes:core/v1:Service":
            return self._service(urn, inputs, plain)
        return inputs

    # --- Kubernetes: provider check (auto-names) and the API server's Service allocations ---------

    def _check_kubernetes(self, args: pulumi_mocks.MockResourceArgs, urn: str,
                          inputs: dict[str, Any]) -> dict[str, Any]:
        metadata = inputs.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict) or is_secret(metadata) or _has_unknown(metadata) \
                or metadata.get("name") or metadata.get("generateName") or args.typ.endswith("List"):
            return inputs
        generation = 0
        kind = args.typ.rsplit(":", 1)[-1]
        if kind in ("ConfigMap", "Secret") and not self._mutable(args.provider, kind):
            # immutable by default: a data change replaces the object, under a new name
            data = _fingerprint({k: inputs.get(k) for k in ("data", "binaryData", "stringData")})
            with self.state.lock:
                before = self.state.autonames.get(urn)
                generation = before[1] + (before[0] != data) if before else 0
                if not self.preview:
                    self.state.autonames[urn] = (data, generation)
        name = f"{args.name}-{hashlib.sha256(f'{urn}#{generation}'.encode()).hexdigest()[:8]}"
        annotations = metadata.get("annotations")
        annotations = dict(annotations) if isinstance(annotations, dict) else {}
        annotations[AUTONAMED_ANNOTATION] = "true"
        return {**inputs, "metadata": {**metadata, "name": name, "annotations": annotations}}

    def _mutable(self, provider_ref: str | None, kind: str) -> bool:
        provider = self.providers.get((provider_ref or "").rsplit("::", 1)[0], {})
        flag = provider.get("enableConfigMapMutable" if kind == "ConfigMap" else "enableSecretMutable")
        return flag in (True, "true")

    def _service(self, urn: str, inputs: dict[str, Any], plain: dict[str, Any]) -> dict[str, Any]:
        spec = plain.get("spec") or {}
        meta = plain.get("metadata") or {}
        identity = f"Service {meta.get('namespace') or 'default'}/{meta.get('name')}"
        kind = spec.get("type", "ClusterIP")
        outputs = dict(inputs)
        if kind in ("NodePort", "LoadBalancer"):
            ports = self._node_ports(urn, identity, [dict(p) for p in spec.get("ports") or []])
            outputs["spec"] = {**plain["spec"], "ports": ports}
        if kind == "LoadBalancer":
            outputs["status"] = {"loadBalancer": {"ingress": [{"ip": self._load_balancer_address(urn)}]}}
        return outputs

    def _node_ports(self, urn: str, identity: str, ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Node ports as the API server assigns them: given ones kept (and checked), others picked
        deterministically, unique in the stack's cluster, stable across runs."""
        cluster = _urn_stack(urn)
        with self.state.lock:
            taken = {port: other for other, assigned in self.state.node_ports.items()
                     if other != urn and _urn_stack(other) == cluster for port in assigned.values()}
            previous = self.state.node_ports.get(urn, {})
            assigned: dict[str, int] = {}
            for port in ports:
                key = str(port.get("name") or port.get("port"))
                given = port.get("nodePort")
                if given:
                    if int(given) not in NODE_PORTS:
                        raise EmulationError(f"{identity}: nodePort {given} is outside {NODE_PORTS.start}-"
                                             f"{NODE_PORTS.stop - 1}")
                    if int(given) in taken or int(given) in assigned.values():
                        raise EmulationError(f"{identity}: nodePort {given} is already allocated")
                    chosen = int(given)
                elif previous.get(key) and previous[key] not in taken:
                    chosen = previous[key]
                else:
                    chosen = NODE_PORTS.start + _stable_number(f"{urn}/{key}", len(NODE_PORTS))
                    while chosen in taken or chosen in assigned.values():
                        chosen = NODE_PORTS.start + (chosen - NODE_PORTS.start + 1) % len(NODE_PORTS)
                assigned[key] = chosen
                port["nodePort"] = chosen
            self.state.node_ports[urn] = assigned
        return ports

    def _load_balancer_address(self, urn: str) -> str:
        """An address from TEST-NET-1, unique among every stack sharing the state, stable across runs."""
        hosts = list(EMULATED_LB_NETWORK.hosts())
        with self.state.lock:
            known = self.state.load_balancer_addresses.get(urn)
            if known:
                return known
            taken = set(self.state.load_balancer_addresses.values())
            if len(taken) >= len(hosts):
                raise EmulationError(f"more than {len(hosts)} emulated load balancers in one render")
            index = _stable_number(urn, len(hosts))
            while str(hosts[index]) in taken:
                index = (index + 1) % len(hosts)
            self.state.load_balancer_addresses[urn] = str(hosts[index])
            return str(hosts[index])

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        self.log.warning(f"invoke {args.token} is not emulated offline: it returned nothing")
        return {}


class _CapturingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, telling the mocks which request (URN, secret outputs) they answer, and keeping
    the stack's outputs (what `pulumi stack output` would show)."""

    mocks: FederationMocks

    def __init__(self, mocks: FederationMocks) -> None:
        super().__init__(mocks)
        self.stack_outputs: dict[str, Any] = {}
        self.retained: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        urn = self.make_urn(request.parent, request.type, request.name)
        if getattr(request, "retainOnDelete", False):
            self.retained.add(urn)
        with self.mocks.answering(request, urn, read=False):
            return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        with self.mocks.answering(request, self.make_urn(request.parent, request.type, request.name), read=True):
            return super().ReadResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.urn.split("::")[2] == STACK_TYPE:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


# --- running programs ------------------------------------------------------------------------------

def config_values(config: Mapping[str, Any], project: str = DEFAULT_PROJECT) -> dict[str, str]:
    """Stack config as the engine passes it: `project:key` -> string (objects as JSON)."""
    return {(key if ":" in key else f"{project}:{key}"): value if isinstance(value, str) else json.dumps(value)
            for key, value in config.items()}


def _run(stack: str, project: str, config: Mapping[str, Any], body: Callable[[], Any], *, secret_keys: list[str],
         stack_outputs: Mapping[str, Mapping[str, Any]] | None, secret_output_names: Mapping[str, list[str]] | None,
         state: EngineState | None, preview: bool, existing_objects: Mapping[str, Mapping[str, Any]] | None,
         ) -> StackRun:
    mocks = FederationMocks(stack, stack_outputs=stack_outputs, secret_output_names=secret_output_names,
                            state=state, preview=preview, existing_objects=existing_objects)
    monitor = _CapturingMonitor(mocks)
    loop = asyncio.new_event_loop()
    # a failed registration leaves the SDK's futures for it unread: the run raises that error already
    loop.set_exception_handler(lambda _loop, context: mocks.log.debug(
        f"{context.get('message')}: {context.get('exception')!r}"))
    asyncio.set_event_loop(loop)
    try:
        pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                               logger=mocks.log)  # type: ignore[arg-type] (a logger's four methods)
        runtime_settings.ROOT.set(None)  # set_mocks made a finished root; run_in_stack makes the live one
        runtime_settings.SETTINGS.outputs.clear()  # tasks a failed earlier run left on its closed loop
        pulumi.runtime.set_all_config(config_values(config, project),
                                      [k if ":" in k else f"{project}:{k}" for k in secret_keys])
        loop.run_until_complete(run_in_stack(body))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        for worker_loop in mocks.thread_loops - {loop}:
            if not worker_loop.is_running() and not worker_loop.is_closed():
                worker_loop.close()
    for resource in mocks.registered:
        resource.retain_on_delete = resource.urn in monitor.retained
    return StackRun(stack, mocks.registered, monitor.stack_outputs, mocks.log.messages)


@contextlib.contextmanager
def _importable(directory: str) -> Iterator[None]:
    """The program's directory first on sys.path while it runs (as the language host has it)."""
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        sys.path.remove(directory)


def run_program(project_dir: Path, stack: str, config: Mapping[str, Any], *, secret_keys: list[str] | None = None,
                stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                secret_output_names: Mapping[str, list[str]] | None = None, state: EngineState | None = None,
                preview: bool = False, existing_objects: Mapping[str, Mapping[str, Any]] | None = None,
                ) -> StackRun:
    """Run the project's __main__.py as `pulumi up` (or `preview`) would, against these mocks.

    `stack_outputs` / `secret_output_names` are keyed by StackReference name
    (`organization/<project>/<stack>`); a stack not given has no outputs.
    """
    project = str(Path(project_dir).resolve())
    program = Path(project) / "__main__.py"
    with _importable(project):
        return _run(stack, project_name(Path(project)), config,
                    lambda: runpy.run_path(str(program), run_name="__main__"), secret_keys=secret_keys or [],
                    stack_outputs=stack_outputs, secret_output_names=secret_output_names, state=state,
                    preview=preview, existing_objects=existing_objects)


def run_function(fn: Callable[[], Mapping[str, Any] | None], *, stack: str = "test",
                 config: Mapping[str, Any] | None = None, secret_keys: list[str] | None = None,
                 stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                 secret_output_names: Mapping[str, list[str]] | None = None, preview: bool = False,
                 state: EngineState | None = None, project: str = DEFAULT_PROJECT,
                 existing_objects: Mapping[str, Mapping[str, Any]] | None = None) -> StackRun:
    """Run `fn` (which registers resources and returns the stack outputs) as a program of its own."""

    async def main() -> Mapping[str, Any]:
        return dict(fn() or {})

    return _run(stack, project, config or {}, lambda: pulumi.run(main), secret_keys=secret_keys or [],
                stack_outputs=stack_outputs, secret_output_names=secret_output_names, state=state,
                preview=preview, existing_objects=existing_objects)
