"""The federation orchestrator's pure part: which stacks to run, in which order, until nothing changes.

The stacks of a federation read each other (a party reads its exchange, an exchange reads the parties
it lists), so one `pulumi up` each is not enough: docs/federation.md runs exchange, parties, exchange,
parties. Here that order is derived from the stack files (roles and StackReferences) and a stack runs
again only when a stack it reads changed its outputs, until a round changes nothing. Running a stack
is injected (a `Runner`: the Pulumi Automation API in fedctl.automation, a fake in the tests), so
the order, the convergence and the stop on failure are tested without an engine.

The whole plan is checked before the first step: stack files, roles, references and cycles here; the
backend and a preview of every stack by the runner (`up` previews all stacks before applying any), so
bad input never leaves a federation half-applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from fedctl.stackfiles import StackFileError, project_name, read_stack_config, stack_names
from specs.errors import ConfigError
from specs.loading import parse_settings

Action = Literal["up", "preview", "destroy"]
ROLE_RANK = {"exchange": 0, "party": 1, "local": 2}
"""Among stacks that may run in any order, the design's bootstrap order: exchange, parties, local."""
MAX_ROUNDS = 6
"""A fresh federation settles in 3 rounds (docs/federation.md steps 1-4, then a round with no change)."""


class PlanError(Exception):
    """The stack files do not make a federation that can be driven; the message names the file, key and fix."""


class StepError(Exception):
    """A step failed in the engine; the message is the engine's own."""


@dataclass(frozen=True)
class StackNode:
    """One stack file: its role and the stacks of this repository it reads through StackReferences."""

    name: str
    role: str
    reads: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    """StackReferences to stacks without a stack file here (kept to name them in errors)."""


@dataclass(frozen=True)
class Federation:
    project: str
    stacks: Mapping[str, StackNode]
    notes: tuple[str, ...] = ()
    """What is allowed but worth saying (a party its exchange does not list yet)."""

    def readers(self, stack: str) -> list[str]:
        """The stacks that read `stack`: they must run again when its outputs change."""
        return sorted(name for name, node in self.stacks.items() if stack in node.reads)


def reference_stack(reference: str, project: str, known: Iterable[str] | None = None) -> str | None:
    """The stack of this project a StackReference names (`<org>/<project>/<stack>`), or None; with
    `known`, only one of those stacks."""
    parts = reference.split("/")
    if len(parts) == 3 and parts[1] == project and (known is None or parts[2] in set(known)):
        return parts[2]
    return None


Describe = Callable[[Mapping[str, Any]], tuple[str, list[str]]]
"""A stack's config (keys without the project namespace) -> (role, the StackReferences it reads)."""


def describe_stack(raw: Mapping[str, Any]) -> tuple[str, list[str]]:
    """This project's stacks, validated by the program's own config models: a party reads
    `exchange.stack`, an exchange reads `exchange.parties[].stack`. Raises ConfigError."""
    settings = parse_settings(raw)
    references: list[str] = []
    if settings.role == "party" and settings.exchange_link is not None and settings.exchange_link.stack:
        references.append(settings.exchange_link.stack)
    if settings.role == "exchange" and settings.exchange is not None:
        references.extend(entry.stack for entry in settings.exchange.parties if entry.stack)
    return settings.role, references


def _node(project_dir: Path, project: str, stack: str, every: list[str], describe: Describe) -> StackNode:
    try:
        values = read_stack_config(project_dir, stack).values
        role, references = describe({key.split(":", 1)[1]: value for key, value in values.items()
                                     if key.startswith(f"{project}:")})
    except (StackFileError, ConfigError) as error:
        raise PlanError(f"stack {stack} (Pulumi.{stack}.yaml): {error}") from None
    reads = [s for s in (reference_stack(r, project, every) for r in references) if s is not None]
    external = [r for r in references if reference_stack(r, project, every) is None]
    return StackNode(stack, role, tuple(reads), tuple(external))


def read_federation(project_dir: Path, describe: Describe = describe_stack) -> Federation:
    """The repository's stacks, checked (see check_federation). `describe` reads a stack's role and
    references from its config (another program's stack files need their own)."""
    project_dir = Path(project_dir)
    try:
        project = project_name(project_dir)
    except StackFileError as error:
        raise PlanError(str(error)) from None
    every = stack_names(project_dir)
    if not every:
        raise PlanError(f"no stack files (Pulumi.<stack>.yaml) in {project_dir}: create one per stack "
                        "(docs/federation.md shows the exchange and party stack files)")
    return check_federation(project, [_node(project_dir, project, stack, every, describe) for stack in every])


def _cycle(nodes: Mapping[str, StackNode]) -> list[str] | None:
    """A cycle of `runs_after` edges, as the list of stacks along it, or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        trail.append(name)
        for before in runs_after(nodes, name):
            if state.get(before) == 1:
                return trail[trail.index(before):] + [before]
            if before not in state and (found := visit(before)):
                return found
        trail.pop()
        state[name] = 2
        return None

    for name in sorted(nodes):
        if name not in state and (found := visit(name)):
            return found
    return None


def runs_after(nodes: Mapping[str, StackNode], name: str) -> list[str]:
    """The stacks `name` must run after: all it reads, except the parties an exchange lists (the
    protocol's one tolerated wait: the exchange runs first and reports those parties as pending)."""
    node = nodes[name]
    return [s for s in node.reads if not (node.role == "exchange" and nodes[s].role == "party")]


def check_federation(project: str, nodes: Sequence[StackNode]) -> Federation:
    """The federation, or PlanError naming each problem: a cycle, a party whose exchange has no stack file
    here or is not an exchange, an exchange listing a stack that is not a party here, or a party listed by
    one exchange while it reads another."""
    by_name = {node.name: node for node in nodes}
    cycle = _cycle(by_name)
    if cycle:
        raise PlanError(f"the stack files make a cycle: {' reads '.join(cycle)}. A party reads its exchange "
                        "(exchange.stack) and an exchange reads its parties (exchange.parties[].stack); "
                        "no stack may read a stack of its own role: fix those keys")
    problems: list[str] = []
    notes: list[str] = []
    every = ", ".join(sorted(by_name))
    for node in nodes:
        if node.role == "party":
            for reference in node.external:
                problems.append(f"stack {node.name}: {project}:exchange.stack is {reference}, which has no stack "
                                f"file here (the stacks are {every}): fix the name, add its stack file, or "
                                "set exchange.static for an exchange not managed here")
            for read in node.reads:
                if by_name[read].role != "exchange":
                    problems.append(f"stack {node.name}: {project}:exchange.stack names {read}, a "
                                    f"{by_name[read].role} stack: name the exchange stack")
                elif node.name not in by_name[read].reads:
                    notes.append(f"{node.name} reads {read}, which does not list it yet: it will stay "
                                 f"awaiting-certificate until it is added under {project}:exchange.parties "
                                 f"in Pulumi.{read}.yaml")
        if node.role == "exchange":
            for reference in node.external:
                problems.append(f"stack {node.name}: {project}:exchange.parties lists {reference}, which has no "
                                f"stack file here (the stacks are {every}): fix the name, add its stack file, "
                                "or make it a `static` entry")
            for read in node.reads:
                party = by_name[read]
                if party.role != "party":
                    problems.append(f"stack {node.name}: {project}:exchange.parties lists {read}, a "
                                    f"{party.role} stack: list party stacks only")
                elif party.reads and node.name not in party.reads:
                    problems.append(f"stack {node.name} lists {read}, but {read} reads {party.reads[0]}: "
                                    f"a party joins one exchange; fix {project}:exchange.stack in "
                                    f"Pulumi.{read}.yaml or remove it from Pulumi.{node.name}.yaml")
    if problems:
        raise PlanError("the stack files do not make a federation:\n  " + "\n  ".join(problems))
    return Federation(project, by_name, tuple(notes))


def bootstrap_order(federation: Federation, chosen: Iterable[str] | None = None) -> list[str]:
    """Every chosen stack once, each after the stacks it must run after, ties by role then name
    (exchange, parties, local): the first round of `up`, the order of `preview`, reversed for `destroy`."""
    nodes = federation.stacks
    names = list(nodes) if chosen is None else list(chosen)
    unknown = [name for name in names if name not in nodes]
    if unknown:
        raise PlanError(f"no stack file for {', '.join(unknown)}: the stacks here are {', '.join(sorted(nodes))}")
    left = set(names)
    order: list[str] = []
    while left:
        ready = [n for n in left if not any(b in left for b in runs_after(nodes, n))]
        # check_federation rejected cycles, so something is always ready
        first = min(ready, key=lambda n: (ROLE_RANK.get(nodes[n].role, len(ROLE_RANK)), n))
        order.append(first)
        left.remove(first)
    return order


@dataclass(frozen=True)
class StepResult:
    """What one step did: whether the stack's outputs changed (its readers must run again) and a
    short summary for the progress line (e.g. `+12 ~1`)."""

    outputs_changed: bool
    summary: str = ""


class Runner(Protocol):
    """Runs the steps on some engine. `prepare` checks everything that can fail before a step (backend
    reachable, stacks selected or created) and raises StepError; `run` raises StepError on failure."""

    def prepare(self, stacks: Sequence[str], action: Action) -> None: ...

    def run(self, stack: str, action: Action) -> StepResult: ...


@dataclass(frozen=True)
class Step:
    round: int
    stack: str
    action: Action
    result: StepResult | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Outcome:
    """What was run, and the failure that stopped the run (None when it finished)."""

    action: Action
    order: list[str]
    steps: list[Step] = field(default_factory=list)
    failure: Step | None = None
    rounds: int = 0

    @property
    def ok(self) -> bool:
        return self.failure is None


Report = Callable[[str], None]


def _step(runner: Runner, round_: int, stack: str, action: Action, outcome: Outcome, report: Report) -> bool:
    """Run one step, record and report it; False when it failed."""
    label = f"[{round_}] {stack}: {action}" if round_ else f"{stack}: {action}"
    report(f"{label} ...")
    started = time.perf_counter()
    try:
        result = runner.run(stack, action)
    except StepError as error:
        step = Step(round_, stack, action, None, time.perf_counter() - started, str(error))
        outcome.steps.append(step)
        outcome.failure = step
        report(f"{label} FAILED ({step.seconds:.1f} s)")
        return False
    step = Step(round_, stack, action, result, time.perf_counter() - started)
    outcome.steps.append(step)
    changed = ", outputs changed" if result.outputs_changed and action == "up" else ""
    report(f"{label} ok{' ' + result.summary if result.summary else ''}{changed} ({step.seconds:.1f} s)")
    return True


def drive(federation: Federation, runner: Runner, action: Action, chosen: Iterable[str] | None = None, *,
          report: Report = lambda line: None, max_rounds: int = MAX_ROUNDS) -> Outcome:
    """Run `action` over the chosen stacks (default: all) and stop at the first failure.

    preview: each stack once in bootstrap order. destroy: each once in reverse order. up: a preview of
    every stack first (nothing is applied if one fails), then rounds in bootstrap order, where a stack
    runs when it has not run yet or a stack it reads changed its outputs since; it ends with a round
    that changes nothing, or fails after `max_rounds`.
    """
    order = bootstrap_order(federation, chosen)
    outcome = Outcome(action, order)
    try:
        runner.prepare(order, action)
    except StepError as error:
        outcome.failure = Step(0, "", action, error=str(error))
        return outcome
    if action in ("preview", "destroy"):
        for stack in order if action == "preview" else list(reversed(order)):
            if not _step(runner, 0, stack, action, outcome, report):
                return outcome
        return outcome
    for stack in order:
        if not _step(runner, 0, stack, "preview", outcome, report):
            return outcome
    dirty = set(order)
    for round_ in range(1, max_rounds + 1):
        outcome.rounds = round_
        for stack in order:
            if stack not in dirty:
                continue
            dirty.discard(stack)
            if not _step(runner, round_, stack, "up", outcome, report):
                return outcome
            result = outcome.steps[-1].result
            if result is not None and result.outputs_changed:
                dirty.update(r for r in federation.readers(stack) if r in order)
        if not dirty:
            return outcome
    outcome.failure = Step(max_rounds, ", ".join(s for s in order if s in dirty), "up",
                           error=f"the federation did not settle in {max_rounds} rounds: the outputs of the "
                                 "stacks these read still change from run to run")
    return outcome


def describe_failure(outcome: Outcome) -> str:
    """The failure as the CLI prints it: the stack, the step and the engine's message, and what was
    applied before it (nothing, when it failed in the checks or the previews of `up`)."""
    failure = outcome.failure
    assert failure is not None
    applied = [s for s in outcome.steps if s.action in ("up", "destroy") and s.error is None]
    where = f"stack {failure.stack}, step {failure.action}" if failure.stack else f"before any step ({failure.action})"
    if failure.round:
        where += f" (round {failure.round})"
    if applied:
        done = ", ".join(f"{s.stack} ({s.action}, round {s.round})" if s.round else f"{s.stack} ({s.action})"
                         for s in applied)
        tail = f"completed before it: {done}; fix the cause and run the same command again (it converges)"
    elif failure.action in ("up", "destroy") and failure in outcome.steps:
        # the failed step itself may have changed objects before it stopped (e.g. a workload that never
        # became ready was created): saying "nothing was applied" would be wrong
        tail = (f"nothing completed before it, but the failed {failure.action} of {failure.stack} may have applied "
                "part of its changes (they are in its state); fix the cause and run the same command again "
                "(it converges)")
    else:
        tail = "nothing was applied"
    return f"{where}: {failure.error}\n{tail}"


def summarize_changes(changes: Mapping[Any, int]) -> str:
    """`{create: 3, update: 1, same: 9}` (the engine's resource change counts; keys may be the Automation
    API's OpType) as `+3 ~1 =9`."""
    signs = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "same": "="}
    counts = {str(getattr(kind, "value", kind)): count for kind, count in changes.items() if count}
    ordered = sorted(counts, key=lambda kind: (list(signs).index(kind) if kind in signs else len(signs), kind))
    return " ".join(f"{signs.get(kind, kind + ':')}{counts[kind]}" for kind in ordered)
