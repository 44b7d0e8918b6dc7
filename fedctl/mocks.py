"""The Mocks the offline render and the tests run the real program against: the engine's answers.

There is no Pulumi engine and no Kubernetes API server here, so FederationMocks (a `pulumi.runtime.Mocks`,
the SDK's public testing API) answers what they would:
- Kubernetes objects echo their inputs, plus what the provider and the API server add (fedctl.apiserver):
  auto-names, LoadBalancer addresses from TEST-NET-1, node ports.
- pulumi-tls is emulated with real cryptography (fedctl.tls_emulation); pulumi-random makes real random
  values (fedctl.random_emulation); outputs a resource declares secret (additional_secret_outputs) come
  back secret, as the engine makes them.
- StackReferences return the outputs given for the referenced stack (none: no outputs).
- Resource outputs persist in an EngineState keyed by URN, as Pulumi state does: a key made in one run is
  the same key in the next, unless the resource's inputs changed (then it is replaced).
A preview run keeps its hands off the state: new or changed resources get no computed outputs.
Which request a call answers comes from fedctl.sdk_adapter (the one user of SDK internals).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs

from fedctl import apiserver, random_emulation, sdk_adapter, tls_emulation
from fedctl.records import EngineState, ProgramLog, Registered
from fedctl.wire import make_secret, reveal

STACK_REFERENCE = "pulumi:pulumi:StackReference"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


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
        self.log = ProgramLog()
        self.providers: dict[str, dict[str, Any]] = {}
        self._request = threading.local()
        """The gRPC request being answered on this thread (the SDK registers from a thread pool)."""
        self.thread_loops: set[Any] = set()
        """Event loops the SDK's mock monitor opened in worker threads: closed after the run, not at exit."""

    @contextlib.contextmanager
    def answering(self, request: Any, urn: str, read: bool) -> Iterator[None]:
        """The context in which new_resource answers `request` (called by sdk_adapter.RequestMonitor)."""
        self._request.current = (request, urn, read)
        try:
            yield
        finally:
            self._request.current = None
            loop = sdk_adapter.current_loop()
            if loop is not None:
                self.thread_loops.add(loop)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        request, urn, read = getattr(self._request, "current", None) or (None, "", args.resource_id is not None)
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args, urn)
        inputs = dict(args.inputs)
        if read:
            outputs = self._read(args)
        else:
            if args.typ.startswith("kubernetes:") and args.custom:
                kind = args.typ.rsplit(":", 1)[-1]
                inputs = apiserver.auto_named(args.typ, args.name, urn, inputs, state=self.state,
                                              mutable=self._mutable(args.provider, kind), preview=self.preview)
            outputs = self._remembered(args, urn, inputs)
            for name in getattr(request, "additionalSecretOutputs", None) or []:
                if name in outputs:
                    outputs[name] = make_secret(outputs[name])
        if args.typ == KUBERNETES_PROVIDER:
            self.providers[urn] = reveal(inputs)
        self.registered.append(Registered(args.typ, args.name, inputs, outputs, bool(args.custom), urn=urn,
                                          read=read, dependencies=tuple(getattr(request, "dependencies", ()) or ()),
                                          import_id=None if read else args.resource_id or None))
        return (args.resource_id if read else f"{args.name}-id"), outputs

    def _stack_reference(self, args: MockResourceArgs, urn: str) -> tuple[str, dict[str, Any]]:
        name = args.inputs.get("name") or args.resource_id
        outputs = {"name": name, "outputs": dict(self.stack_outputs.get(name, {})),
                   "secretOutputNames": list(self.secret_output_names.get(name, []))}
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), outputs, True, urn=urn, read=True))
        return str(name), outputs

    def _read(self, args: MockResourceArgs) -> dict[str, Any]:
        """A read of an object outside the program: from existing_objects, else only its name."""
        kind = args.typ.rsplit(":", 1)[-1]
        found = self.existing_objects.get(f"{kind}/{args.resource_id}")
        if found is not None:
            return dict(found)
        self.log.warning(f"{kind} {args.resource_id} is read from the cluster: not visible offline, rendered empty")
        namespace, _, name = str(args.resource_id).rpartition("/")
        return {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}

    def _remembered(self, args: MockResourceArgs, urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """State's outputs when the inputs are unchanged (no replacement); else fresh outputs."""
        fingerprint = apiserver.fingerprint(inputs)
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

    def _outputs(self, args: MockResourceArgs, urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
        plain = reveal(inputs)
        if args.typ in tls_emulation.TYPES:
            return {**inputs, **{k: v for k, v in tls_emulation.emulate(args.typ, plain).items() if k not in plain}}
        if args.typ in random_emulation.TYPES:
            return {**inputs, "result": random_emulation.random_text(plain)}
        if args.typ == "kubernetes:core/v1:Service":
            return apiserver.service_outputs(urn, inputs, self.state)
        return inputs

    def _mutable(self, provider_ref: str | None, kind: str) -> bool:
        provider = self.providers.get((provider_ref or "").rsplit("::", 1)[0], {})
        flag = provider.get("enableConfigMapMutable" if kind == "ConfigMap" else "enableSecretMutable")
        return flag in (True, "true")

    def call(self, args: MockCallArgs) -> dict[str, Any]:
        self.log.warning(f"invoke {args.token} is not emulated offline: it returned nothing")
        return {}
