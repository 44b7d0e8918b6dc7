"""Running the program (or one function) as one stack update against FederationMocks."""

from __future__ import annotations

import contextlib
import json
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi

from fedctl import sdk_adapter
from fedctl.mocks import FederationMocks
from fedctl.records import EngineState, StackRun
from fedctl.stackfiles import project_name

DEFAULT_PROJECT = "fate-federation"


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
    monitor = sdk_adapter.RequestMonitor(mocks, mocks.answering)
    try:
        sdk_adapter.run(mocks, monitor, body, project=project, stack=stack, preview=preview, logger=mocks.log,
                        config=config_values(config, project),
                        secret_keys=[k if ":" in k else f"{project}:{k}" for k in secret_keys])
    finally:
        sdk_adapter.close_loops(mocks.thread_loops)
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
    """Run the project's __main__.py as `pulumi up` (or `preview`) would, against the mocks.

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


def run_component(fn: Callable[[], Mapping[str, Any] | None], *, stack: str = "test",
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
