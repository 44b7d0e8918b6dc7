"""Offline render: every stack's Kubernetes objects and outputs, with no cluster and no Pulumi CLI.

Review and CI tooling, like `helm template`: it runs the real program under the SDK's mocks
(fedctl.engine) and writes what `pulumi up` would apply. It never applies anything. The stacks of a
federation are run in the bootstrap order (exchange, parties, exchange, parties, ...) with each stack's
outputs fed to the others' StackReferences until nothing changes, so the result is one consistent
federation: the certificates the exchange signed match the keys the parties made.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fedctl.engine import EngineState, StackRun, run_program
from fedctl.stackfiles import project_name, stack_config, stack_names

ROLE_KEY = "fate-federation:role"
ROLE_ORDER = {"exchange": 0, "party": 1, "local": 2}
MAX_ROUNDS = 5


@dataclass
class Rendered:
    stack: str
    run: StackRun
    seconds: float
    rounds: int
    skipped_secrets: list[str]


class RenderError(Exception):
    """A stack's program failed; the message is the program's own (config errors name key and fix)."""


def reference_name(project: str, stack: str) -> str:
    return f"organization/{project}/{stack}"


def _role(project_dir: Path, stack: str) -> str:
    config, _ = stack_config(project_dir, stack)
    return str(config.get(ROLE_KEY) or config.get("role") or "")


def render_stacks(project_dir: Path, stacks: Iterable[str] | None = None, *,
                  max_rounds: int = MAX_ROUNDS, config_overrides: dict[str, dict[str, Any]] | None = None,
                  ) -> list[Rendered]:
    """Run the stacks in bootstrap order until their outputs stop changing; return the last run of each."""
    project_dir = Path(project_dir)
    project = project_name(project_dir)
    names = list(stacks) if stacks is not None else stack_names(project_dir)
    order = sorted(names, key=lambda s: (ROLE_ORDER.get(_role(project_dir, s), 3), s))
    state = EngineState()
    outputs: dict[str, dict[str, Any]] = {}
    secret_names: dict[str, list[str]] = {}
    results: dict[str, Rendered] = {}
    for round_number in range(1, max_rounds + 1):
        changed = False
        for stack in order:
            config, skipped = stack_config(project_dir, stack)
            config.update((config_overrides or {}).get(stack, {}))
            started = time.perf_counter()
            try:
                run = run_program(project_dir, stack, config, stack_outputs=outputs,
                                  secret_output_names=secret_names, state=state)
            except Exception as error:  # the program's own error, reported as such
                raise RenderError(f"stack {stack}: {error}") from error
            ref = reference_name(project, stack)
            if outputs.get(ref) != run.outputs:
                changed = True
            outputs[ref] = run.outputs
            secret_names[ref] = sorted(run.secret_outputs)
            results[stack] = Rendered(stack, run, time.perf_counter() - started, round_number, skipped)
        if not changed:
            break
    return [results[s] for s in order]


def _file_name(manifest: dict[str, Any]) -> str:
    meta = manifest.get("metadata") or {}
    parts = [manifest.get("kind", "object"), meta.get("namespace"), meta.get("name")]
    return re.sub(r"[^a-z0-9.-]+", "-", "-".join(str(p) for p in parts if p).lower()) + ".yaml"


def write(rendered: Rendered, out_dir: Path, *, show_secrets: bool) -> Path:
    """DIR/<stack>/manifests/<kind>-<namespace>-<name>.yaml and DIR/<stack>/outputs.json."""
    target = Path(out_dir) / rendered.stack
    if target.exists():
        shutil.rmtree(target)
    manifests = target / "manifests"
    manifests.mkdir(parents=True)
    for manifest in rendered.run.k8s_objects(show_secrets=show_secrets):
        (manifests / _file_name(manifest)).write_text(yaml.safe_dump(manifest, sort_keys=False))
    outputs = rendered.run.outputs if show_secrets else rendered.run.redacted_outputs()
    (target / "outputs.json").write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return target


def summary(rendered: Rendered) -> str:
    run = rendered.run
    outputs = run.outputs
    status = outputs.get("joinStatus") or (
        f"{len(outputs.get('parties') or {})} parties, {len(outputs.get('pendingParties') or [])} pending"
        if outputs.get("role") == "exchange" else outputs.get("role", ""))
    note = f"; left out encrypted config {', '.join(rendered.skipped_secrets)}" if rendered.skipped_secrets else ""
    return (f"{rendered.stack}: {len(run.k8s_objects())} objects, {status}, "
            f"round {rendered.rounds}, {rendered.seconds:.2f} s{note}")
