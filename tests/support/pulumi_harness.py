"""The one way tests run things under the Pulumi mocks: a component (`run_component`), the whole
program for a stack (`run_program`), or the whole federation (`render_federation`).

Test doubles: the Pulumi engine and the Kubernetes API server (fedctl.mocks); pulumi-tls is emulated
with real cryptography, pulumi-random makes real values. Mock state is process-global in the SDK (the
last set_mocks wins), so every call here installs its own mocks with the project and stack given
explicitly; nothing leaks from one test to the next.

A run (fedctl.records.StackRun) has `resources`, `outputs` (plain), `raw_outputs` (secret envelopes kept),
`secret_outputs` (names), `warnings`, and lookups `k8s_objects(kind=..., namespace=...)`,
`k8s_object(kind, name, namespace=None)` (each object as the manifest that would be applied) and
`of_type(type_token)`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fedctl import runner
from fedctl.records import EngineState, StackRun
from fedctl.render import Rendered, reference_name, render_stacks
from fedctl.stackfiles import project_name, stack_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURE_PROGRAM = PROJECT_DIR / "tests" / "fixtures" / "mini_program"
"""A tiny program with its own stack files, to test the renderer apart from the real stacks."""


def shipped_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """A stack file's config as shipped in the repository (a copy: edit it freely)."""
    config, _ = stack_config(project_dir, stack)
    return copy.deepcopy(config)


def stack_ref(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The StackReference name of a stack of the project: the key for `stack_outputs`."""
    return reference_name(project_name(project_dir), stack)


def run_program(stack: str, config: Mapping[str, Any] | None = None, *,
                stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                secret_output_names: Mapping[str, list[str]] | None = None, preview: bool = False,
                state: EngineState | None = None, secret_keys: list[str] | None = None,
                existing_objects: Mapping[str, Mapping[str, Any]] | None = None,
                project_dir: Path = PROJECT_DIR) -> StackRun:
    """Run the project's __main__.py for `stack` with its shipped config (or `config`).

    `stack_outputs` / `secret_output_names` are keyed by StackReference name (see stack_ref); a stack
    not given has no outputs. `state` carries resource state from run to run (as Pulumi state does).
    """
    return runner.run_program(project_dir, stack, shipped_config(stack, project_dir) if config is None else config,
                             secret_keys=secret_keys, stack_outputs=stack_outputs,
                             secret_output_names=secret_output_names, state=state, preview=preview,
                             existing_objects=existing_objects)


def run_component(fn: Callable[[], Mapping[str, Any] | None], *, stack: str = "test",
                  config: Mapping[str, Any] | None = None,
                  stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
                  secret_output_names: Mapping[str, list[str]] | None = None, preview: bool = False,
                  state: EngineState | None = None, secret_keys: list[str] | None = None,
                  existing_objects: Mapping[str, Mapping[str, Any]] | None = None) -> StackRun:
    """Run `fn` as a program of its own (project fate-federation): it creates resources and returns the
    stack outputs."""
    return runner.run_component(fn, stack=stack, config=config, secret_keys=secret_keys, stack_outputs=stack_outputs,
                              secret_output_names=secret_output_names, preview=preview, state=state,
                              existing_objects=existing_objects)


def render_federation(stacks: list[str] | None = None, *, project_dir: Path = PROJECT_DIR,
                      **kwargs: Any) -> dict[str, Rendered]:
    """Every stack (or `stacks`) rendered as one federation, by stack name (see fedctl.render)."""
    return {r.stack: r for r in render_stacks(project_dir, stacks, **kwargs)}
