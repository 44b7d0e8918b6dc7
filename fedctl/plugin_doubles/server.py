"""The ResourceProvider gRPC server of the stand-in (test-double) tls and random plugins.

NOT the real pulumi-tls / pulumi-random providers (the Go module proxy does not serve them; see
fedctl.plugin_doubles). It follows what the real ones do on the wire, because that is what the engine
tests exercise: camelCase property maps; Check fills in the providers' defaults; every input is ForceNew,
so Diff reports any change as a replacement and Update is never reached; Read returns the stored state
(these resources live only in state, so `pulumi refresh` changes nothing); Delete forgets. Secret inputs
are accepted and echoed wrapped, and the sensitive outputs (keys, passwords) go back as secrets.

Handshake facts as the SDK's own pulumi/dynamic/__main__.py serves a provider: listen on 127.0.0.1, port 0,
print the port on stdout, serve until the engine ends the process.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from fedctl.plugin_doubles.packages import Package, ResourceType, ready_for_renewal

UNKNOWN = rpc.UNKNOWN
_SIG = rpc._special_sig_key  # noqa: SLF001 - the wire's fixed signature key, not exported under another name
_SECRET = rpc._special_secret_sig  # noqa: SLF001
DEFAULTS_KEY = "__defaults"
"""The Terraform bridge's bookkeeping key in inputs; never a user's input, so never a change."""

Props = dict[str, Any]
Response = TypeVar("Response")


def to_dict(struct: struct_pb2.Struct) -> Props:
    return json_format.MessageToDict(struct)


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG) == _SECRET


def secret(value: Any) -> dict[str, Any]:
    return value if is_secret(value) else {_SIG: _SECRET, "value": value}


def plain(value: Any) -> Any:
    """The value with every secret wrapper removed (what the emulations compute from)."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(has_unknown(item) for item in value)
    return value == UNKNOWN


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> list[str]:
    """Top-level input properties whose (unwrapped) values differ; an unknown new value counts as changed."""
    keys = (set(olds) | set(news)) - ignore - {DEFAULTS_KEY}
    return sorted(key for key in keys if has_unknown(news.get(key)) or plain(olds.get(key)) != plain(news.get(key)))


def _failing(method: Callable[..., Response]) -> Callable[..., Response]:
    """An exception becomes a gRPC error the engine prints with the resource (the message names the property)."""

    @functools.wraps(method)
    def wrapper(self: ProviderDouble, request: Any, context: grpc.ServicerContext) -> Response:
        try:
            return method(self, request, context)
        except Exception as error:  # noqa: BLE001 - every failure must reach the engine, not kill the thread
            context.abort(grpc.StatusCode.UNKNOWN, f"{self.package.name} (stand-in plugin): {error}")
            raise  # unreachable: abort raises

    return wrapper


class ProviderDouble(provider_pb2_grpc.ResourceProviderServicer):
    """One package's resource types behind the ResourceProvider service."""

    def __init__(self, package: Package) -> None:
        self.package = package

    def _type(self, request: Any) -> ResourceType:
        token = request.type or request.urn.split("::")[2].split("$")[-1]
        if token not in self.package.types:
            raise ValueError(f"resource type {token} is not served by this stand-in "
                             f"(serves {', '.join(sorted(self.package.types))})")
        return self.package.types[token]

    # --- the plugin and its configuration -------------------------------------------------------------
    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=self.package.version)

    def Handshake(self, request: provider_pb2.ProviderHandshakeRequest, context: grpc.ServicerContext,
                  ) -> provider_pb2.ProviderHandshakeResponse:
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=True)

    def GetSchema(self, request: provider_pb2.GetSchemaRequest, context: grpc.ServicerContext,
                  ) -> provider_pb2.GetSchemaResponse:
        """A minimal schema naming the package: the resource schemas belong to the SDK package already installed."""
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": self.package.name,
                                                                 "version": self.package.version}))

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext,
                    ) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext,
                   ) -> provider_pb2.DiffResponse:
        """Neither provider has a setting the doubles use: a changed setting is an in-place change, never a
        replacement of every resource."""
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        changes = changed_keys(olds, to_dict(request.news), frozenset({"version"}))
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME if changes
                                         else provider_pb2.DiffResponse.DIFF_NONE, diffs=changes)

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext,
                  ) -> provider_pb2.ConfigureResponse:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    # --- resources -----------------------------------------------------------------------------------
    @_failing
    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> provider_pb2.CheckResponse:
        """The new inputs with the provider's defaults filled in (so state shows what the provider used)."""
        resource = self._type(request)
        news = to_dict(request.news)
        return provider_pb2.CheckResponse(inputs=to_struct({**resource.defaults, **news}))

    @_failing
    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> provider_pb2.DiffResponse:
        """Every input of these providers is ForceNew: any change replaces (create the new one first); so does
        a certificate inside its early-renewal window."""
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        news = to_dict(request.news)
        if not request.HasField("old_inputs"):  # old outputs: compare the inputs only
            olds = {key: value for key, value in olds.items() if key in news}
        changes = changed_keys(olds, news, frozenset(request.ignoreChanges))
        resource = self._type(request)
        old_outputs = to_dict(request.olds)
        if resource.renews and old_outputs.get("validityEndTime") and ready_for_renewal(plain(old_outputs)):
            changes.append("readyForRenewal")
        if not changes:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        kind = provider_pb2.PropertyDiff
        detailed = {key: kind(kind=kind.ADD_REPLACE if key not in olds and key in news else kind.DELETE_REPLACE
                              if key not in news and key in olds else kind.UPDATE_REPLACE, inputDiff=key in news or key in olds)
                    for key in changes}
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME, replaces=changes, diffs=changes,
                                         detailedDiff=detailed, hasDetailedDiff=True, deleteBeforeReplace=False)

    @_failing
    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext) -> provider_pb2.CreateResponse:
        """Outputs = the inputs as given (secret ones stay wrapped) + the computed ones; in a preview the
        computed ones are unknown (nothing is generated for a plan)."""
        resource = self._type(request)
        inputs = to_dict(request.properties)
        if request.preview or has_unknown(inputs):
            return provider_pb2.CreateResponse(id="", properties=to_struct(
                {**inputs, **{name: UNKNOWN for name in resource.computed}}))
        computed = resource.compute(plain(inputs))
        missing = [name for name in resource.computed if computed.get(name) is None]
        if missing:
            raise ValueError(f"{resource.token}: computed no {', '.join(missing)}")
        outputs = {**inputs, **{name: secret(computed[name]) if name in resource.secret else computed[name]
                                for name in resource.computed}}
        return provider_pb2.CreateResponse(id=resource.identify(computed), properties=to_struct(outputs))

    @_failing
    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> provider_pb2.ReadResponse:
        """These resources exist only in state: the stored outputs and inputs are the truth (refresh = no-op)."""
        self._type(request)
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    @_failing
    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext) -> provider_pb2.UpdateResponse:
        """Unreachable while Diff replaces on every change; if the engine gets here, say which property."""
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        changes = changed_keys(olds, to_dict(request.news), frozenset(request.ignoreChanges))
        raise ValueError(f"{self._type(request).token}: cannot update {', '.join(changes) or 'anything'} in place "
                         "(every input of this resource forces a replacement)")

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def serve(package: Package) -> None:
    """Listen on 127.0.0.1 (any free port), tell the engine the port on stdout, serve until killed."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(ProviderDouble(package), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop(0)
