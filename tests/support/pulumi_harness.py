"""The one way tests run the program or a component: fedctl's engine mocks (the Pulumi engine and the
Kubernetes API server are the test doubles; pulumi-tls is emulated with real cryptography)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from fedctl.engine import EngineState, StackRun, run_function, run_program  # noqa: F401 (re-exported)
from fedctl.render import Rendered, render_stacks
from fedctl.stackfiles import stack_config

PROJECT_DIR = Path(__file__).resolve().parents[2]


def shipped_config(stack: str) -> dict[str, Any]:
    """A stack file's config as shipped in the repository."""
    config, _ = stack_config(PROJECT_DIR, stack)
    return copy.deepcopy(config)


def run_stack(stack: str, config: dict[str, Any] | None = None, **kwargs: Any) -> StackRun:
    """Run the program for one stack (its shipped config unless `config` is given)."""
    return run_program(PROJECT_DIR, stack, shipped_config(stack) if config is None else config, **kwargs)


def render_federation(stacks: list[str] | None = None, **kwargs: Any) -> dict[str, Rendered]:
    return {r.stack: r for r in render_stacks(PROJECT_DIR, stacks, **kwargs)}
