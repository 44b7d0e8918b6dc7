"""Offline render: every stack's Kubernetes objects and outputs, with no cluster and no Pulumi CLI.

Review and CI tooling, like `helm template`: it runs the real program under the SDK's mocks
(fedctl.mocks) and writes what `pulumi up` would apply. It never applies anything. The stacks of a
federation run in the bootstrap order (exchange, parties, exchange, parties, ...) with each stack's
outputs fed to the others' StackReferences until no output changes, sharing one emulated state, so
the result is one consistent federation: the certificates the exchange signed match the keys the
parties made, and every route points at an address some stack really exported.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fedctl.mocks import STACK_REFERENCE
from fedctl.records import EngineState, StackRun
from fedctl.runner import run_program
from fedctl.wire import contains_secret
from fedctl.stackfiles import StackFileError, is_whole_key, project_name, read_stack_config, stack_names

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ROLE_ORDER = {"exchange": 0, "party": 1, "local": 2}
"""The bootstrap order of the design: the exchange first, then the parties (local stands alone)."""
MAX_ROUNDS = 6


@dataclass
class Rendered:
    """A stack's last run in the render, with what it took."""

    stack: str
    run: StackRun
    seconds: float
    """Time of the last run of the program for this stack."""
    rounds: int
    """How many times the program ran for this stack."""
    skipped_secrets: list[str]
    """Config keys held encrypted (`secure:`), left out because they cannot be decrypted offline."""
    total_seconds: float = 0.0


@dataclass
class _Progress:
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    secret_names: dict[str, list[str]] = field(default_factory=dict)
    results: dict[str, Rendered] = field(default_factory=dict)
    standalone: set[str] = field(default_factory=set)
    """Stacks whose program read no other stack: another round would give the same result."""


class RenderError(Exception):
    """A stack failed, or the federation did not settle; the message is the program's own."""


def reference_name(project: str, stack: str) -> str:
    """What a StackReference to `stack` is called on a self-managed backend."""
    return f"organization/{project}/{stack}"


def render_order(project_dir: Path, stacks: Iterable[str]) -> list[str]:
    """Stacks in bootstrap order: by role (`<project>:role`), then by name."""
    key = f"{project_name(project_dir)}:role"

    def rank(stack: str) -> tuple[int, str]:
        return ROLE_ORDER.get(str(read_stack_config(project_dir, stack).values.get(key)), len(ROLE_ORDER)), stack

    return sorted(stacks, key=rank)


def _run_once(project_dir: Path, stack: str, overrides: Mapping[str, Any], progress: _Progress,
              state: EngineState) -> bool:
    """Run one stack's program; whether its outputs changed."""
    config = read_stack_config(project_dir, stack)
    started = time.perf_counter()
    try:
        run = run_program(project_dir, stack, {**config.values, **config.placeholders, **overrides},
                          secret_keys=list(config.placeholders), stack_outputs=progress.outputs,
                          secret_output_names=progress.secret_names, state=state)
    except Exception as error:  # the program's own error, reported as the CLI would
        raise RenderError(f"stack {stack}: {str(error) or type(error).__name__}") from error
    seconds = time.perf_counter() - started
    ref = reference_name(project_name(project_dir), stack)
    changed = progress.outputs.get(ref) != run.outputs
    progress.outputs[ref] = run.outputs
    progress.secret_names[ref] = sorted(run.secret_outputs)
    before = progress.results.get(stack)
    progress.results[stack] = Rendered(stack, run, seconds, (before.rounds if before else 0) + 1, config.encrypted,
                                       (before.total_seconds if before else 0.0) + seconds)
    if not run.of_type(STACK_REFERENCE):
        progress.standalone.add(stack)
    return changed


def render_stacks(project_dir: Path = PROJECT_ROOT, stacks: Iterable[str] | None = None, *,
                  max_rounds: int = MAX_ROUNDS, config_overrides: Mapping[str, Mapping[str, Any]] | None = None,
                  isolated: bool = False) -> list[Rendered]:
    """Render `stacks` (default: every stack with a stack file) as one federation.

    All stacks of the project take part in the rounds (so a party sees the exchange's real outputs)
    unless `isolated`, which runs only the chosen stacks (what a first `pulumi up` of each would see).
    Rounds repeat until no stack's outputs change; more than `max_rounds` is an error. A stack that read no
    other stack (the local all-in-one stack) runs once: its inputs do not change between rounds.
    """
    project_dir = Path(project_dir)
    try:
        every = stack_names(project_dir)
        chosen = list(stacks) if stacks is not None else every
        if not chosen:
            raise RenderError(f"no stack files (Pulumi.<stack>.yaml) in {project_dir}")
        unknown = [s for s in chosen if s not in every]
        if unknown:
            raise RenderError(f"no stack file for {', '.join(unknown)}: the stacks in {project_dir} are "
                              f"{', '.join(every) or 'none'}")
        order = render_order(project_dir, chosen if isolated else every)
    except StackFileError as error:
        raise RenderError(str(error)) from None
    state = EngineState()
    progress = _Progress()
    for _ in range(max_rounds):
        changed = [stack for stack in order if stack not in progress.standalone
                   and _run_once(project_dir, stack, (config_overrides or {}).get(stack, {}), progress, state)]
        if not changed:
            return [progress.results[s] for s in order if s in chosen]
    raise RenderError(f"the federation did not settle in {max_rounds} rounds: the outputs of "
                      f"{', '.join(changed)} still change from run to run")


def file_name(manifest: Mapping[str, Any]) -> str:
    """`<kind>-<namespace>-<name>.yaml` (no namespace for cluster-scoped objects), lower case."""
    meta = manifest.get("metadata") or {}
    parts = [manifest.get("kind", "object"), meta.get("namespace"), meta.get("name")]
    return re.sub(r"[^a-z0-9.-]+", "-", "-".join(str(p) for p in parts if p).lower()) + ".yaml"


def write(rendered: Rendered, out_dir: Path, *, show_secrets: bool) -> Path:
    """DIR/<stack>/manifests/<kind>-<namespace>-<name>.yaml and DIR/<stack>/outputs.json (replacing
    what an earlier render left there)."""
    target = Path(out_dir) / rendered.stack
    if target.exists():
        shutil.rmtree(target)
    manifests = target / "manifests"
    manifests.mkdir(parents=True)
    for manifest in rendered.run.k8s_objects(show_secrets=show_secrets):
        path = manifests / file_name(manifest)
        if path.exists():
            raise RenderError(f"stack {rendered.stack}: two objects would be written as {path.name} "
                              f"(same kind, namespace and name: the second would overwrite the first when applied)")
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    outputs = rendered.run.outputs if show_secrets else rendered.run.redacted_outputs()
    (target / "outputs.json").write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return target


def findings(rendered: Rendered) -> list[str]:
    """What a reviewer must see: the program's warnings, encrypted config left out, and secret values
    sitting in objects other than Secrets (they would be stored and shown in plain text)."""
    notes = list(rendered.run.warnings)
    whole = [key for key in rendered.skipped_secrets if is_whole_key(key)]
    inside = [key for key in rendered.skipped_secrets if not is_whole_key(key)]
    if whole:
        notes.append(f"encrypted config given to the program as a placeholder secret (not decryptable offline): "
                     f"{', '.join(whole)}")
    if inside:
        notes.append(f"encrypted config left out (not decryptable offline): {', '.join(inside)}")
    for resource in rendered.run.resources:
        if resource.is_kubernetes_object and resource.inputs.get("kind") != "Secret" \
                and contains_secret(resource.inputs):
            meta = resource.manifest(show_secrets=False).get("metadata") or {}
            notes.append(f"{resource.inputs.get('kind')} {meta.get('namespace') or '-'}/{meta.get('name')} "
                         "holds a secret value: keep secrets in Secrets")
    return notes


def summary(rendered: Rendered) -> str:
    """One line per stack: objects, federation status, runs and time."""
    run = rendered.run
    outputs = run.outputs
    status = ""
    if "joinStatus" in outputs:
        status = f", {outputs['joinStatus']}"
    elif "parties" in outputs and isinstance(outputs["parties"], dict):
        status = f", {len(outputs['parties'])} parties ({len(outputs.get('pendingParties') or [])} pending)"
    return (f"{rendered.stack}: {len(run.k8s_objects())} objects{status}, {rendered.seconds:.2f} s "
            f"(last of {rendered.rounds} runs, {rendered.total_seconds:.2f} s in all)")
