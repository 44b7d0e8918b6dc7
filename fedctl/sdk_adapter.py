"""Every use of the Pulumi SDK's non-public parts, in one place (written against pulumi 3.272.0).

The offline render and the tests run the real program under the SDK's public testing API
(`pulumi.runtime.Mocks`, `set_mocks`); what that API does not give, and this module reaches for, is:
- the secret envelope's signature (`rpc._special_sig_key`, `_special_secret_sig`) and the unknown marker,
  to read and write secret and unknown values as the engine sends them;
- which gRPC request a `Mocks.new_resource` call answers (its URN, `additionalSecretOutputs`,
  `retainOnDelete`) and the stack's registered outputs: a `MockMonitor` subclass overriding the
  monitor's RegisterResource / ReadResource / RegisterResourceOutputs;
- starting a run again in the same process: `runtime_settings.ROOT` (set_mocks leaves a finished root
  stack, `run_in_stack` makes the live one), `SETTINGS.outputs` (tasks a failed run left behind), and the
  event loops the mock monitor opens in its worker threads (closed after each run).
`check_sdk()` lists what is missing when the SDK changes under this module; tests/test_sdk_adapter.py
fails with that list and the installed SDK version, instead of every render test failing at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import version
from typing import Any

import pulumi
import pulumi.runtime.settings as runtime_settings
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_in_stack

WRITTEN_FOR = "3.272.0"
SECRET_KEY: str = getattr(rpc, "_special_sig_key", "")
"""The key that marks a secret envelope on the wire ("4dabf18193072939515e22adb298388d")."""
SECRET_SIG: str = getattr(rpc, "_special_secret_sig", "")
UNKNOWN: str = getattr(rpc, "UNKNOWN", "")
"""The wire's unknown value (a preview's output of a resource not created yet)."""
STACK_TYPE = "pulumi:pulumi:Stack"

Answering = Callable[[Any, str, bool], contextlib.AbstractContextManager[None]]
"""(gRPC request, URN, is a read) -> a context in which the mocks answer that request."""


def sdk_version() -> str:
    return version("pulumi")


def check_sdk() -> list[str]:
    """What this module needs from the SDK and does not find (empty when all is there)."""
    problems = []
    for owner, names in ((rpc, ("_special_sig_key", "_special_secret_sig", "UNKNOWN", "deserialize_properties")),
                         # get_monitor: also stacks.cluster_api.engine_is_mocked (no cluster read under mocks)
                         (runtime_settings, ("ROOT", "SETTINGS", "get_monitor")),
                         (pulumi_mocks.MockMonitor, ("RegisterResource", "ReadResource", "RegisterResourceOutputs",
                                                      "make_urn")),
                         (pulumi.output, ("Unknown",))):
        problems += [f"{owner.__name__}.{name}" for name in names if not hasattr(owner, name)]
    if hasattr(runtime_settings, "SETTINGS") and not hasattr(runtime_settings.SETTINGS, "outputs"):
        problems.append("pulumi.runtime.settings.SETTINGS.outputs")
    if hasattr(runtime_settings, "ROOT") and not hasattr(runtime_settings.ROOT, "set"):
        problems.append("pulumi.runtime.settings.ROOT.set (a ContextVar)")
    if getattr(rpc, "_special_sig_key", None) != "4dabf18193072939515e22adb298388d":
        problems.append("rpc._special_sig_key is no longer the engine's secret signature key")
    return problems


def is_unknown(value: Any) -> bool:
    return isinstance(value, pulumi.output.Unknown) or (isinstance(value, str) and value == UNKNOWN)


class RequestMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, telling the mocks which request (URN, secret outputs) they answer, and
    keeping the stack's outputs (what `pulumi stack output` would show) and retained URNs."""

    def __init__(self, mocks: pulumi.runtime.Mocks, answering: Answering) -> None:
        super().__init__(mocks)
        self._answering = answering
        self.stack_outputs: dict[str, Any] = {}
        self.retained: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        urn = self.make_urn(request.parent, request.type, request.name)
        if getattr(request, "retainOnDelete", False):
            self.retained.add(urn)
        with self._answering(request, urn, False):
            return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        with self._answering(request, self.make_urn(request.parent, request.type, request.name), True):
            return super().ReadResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.urn.split("::")[2] == STACK_TYPE:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


def close_loops(loops: Iterable[asyncio.AbstractEventLoop]) -> None:
    """Close the event loops the mock monitor's worker threads opened (recorded with `current_loop`), after
    the run, instead of leaving them open until the process exits."""
    for loop in loops:
        if not loop.is_running() and not loop.is_closed():
            loop.close()


def current_loop() -> asyncio.AbstractEventLoop | None:
    with contextlib.suppress(RuntimeError):
        return asyncio.get_event_loop()
    return None


def run(mocks: pulumi.runtime.Mocks, monitor: RequestMonitor, body: Callable[[], Any], *, project: str, stack: str,
        preview: bool, logger: Any, config: Mapping[str, str], secret_keys: Iterable[str]) -> None:
    """Run `body` (a program) as one stack update under `mocks`, on a fresh event loop."""
    loop = asyncio.new_event_loop()
    # a failed registration leaves the SDK's futures for it unread: the run raises that error already
    loop.set_exception_handler(lambda _loop, context: logger.debug(
        f"{context.get('message')}: {context.get('exception')!r}"))
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                                 logger=logger)
        runtime_settings.ROOT.set(None)  # set_mocks made a finished root; run_in_stack makes the live one
        runtime_settings.SETTINGS.outputs.clear()  # tasks a failed earlier run left on its closed loop
        pulumi.runtime.set_all_config(dict(config), list(secret_keys))
        loop.run_until_complete(run_in_stack(body))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
