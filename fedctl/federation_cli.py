"""The federation commands of `python -m fedctl`: up, preview, destroy, status, graph.

    python -m fedctl up|preview|destroy [STACK...] [--backend URL] [-v]
    python -m fedctl status [STACK...] [--json] [--from-render DIR]
    python -m fedctl graph [STACK...] --out FILE.svg|.png [--from-render DIR]

docs/operations.md shows them at work. `status` exits 0 when every party is joined and routed and
every job succeeded, 1 when something is pending, 2 when something is failing, 3 when the outputs
cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fedctl.orchestrate import MAX_ROUNDS, PlanError, StepError, describe_failure, drive, read_federation
from fedctl.render import PROJECT_ROOT
from fedctl.stackfiles import StackFileError, project_name, stack_names

COMMANDS = ("up", "preview", "destroy", "status", "graph")
EXIT_UNREADABLE = 3


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT,
                        help=f"project directory holding Pulumi.yaml and the stack files (default: {PROJECT_ROOT})")
    parser.add_argument("--backend", metavar="URL",
                        help="state backend (file://DIR, s3://BUCKET, ...); default PULUMI_BACKEND_URL or `pulumi login`")


def _outputs_source(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("stacks", nargs="*", metavar="STACK", help="only these stacks (default: every stack file)")
    parser.add_argument("--from-render", type=Path, metavar="DIR",
                        help="read DIR/<stack>/outputs.json of `fedctl render --out DIR` instead of the backend")
    parser.add_argument("--warn-days", type=int, default=30,
                        help="warn about certificates expiring within this many days (default 30)")


def add_commands(commands: Any) -> None:
    """Register the federation subcommands on `python -m fedctl`'s subparsers."""
    for action, text in (("up", "deploy the stacks in bootstrap order until nothing changes"),
                         ("preview", "preview every stack in bootstrap order"),
                         ("destroy", "destroy the stacks in reverse bootstrap order")):
        parser = commands.add_parser(action, help=text)
        parser.add_argument("stacks", nargs="*", metavar="STACK", help="only these stacks (default: every stack file)")
        _common(parser)
        parser.add_argument("-v", "--verbose", action="store_true", help="show the engine's own output")
        parser.add_argument("--stand-in-plugins", type=Path, metavar="DIR",
                            help="where no real tls/random plugin is installed, use the project's stand-ins in "
                                 "DIR (scripts/install-plugin-doubles.sh; docs/real-engine.md)")
        if action == "up":
            parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS,
                                help=f"give up when the federation has not settled after this many rounds ({MAX_ROUNDS})")
        if action == "destroy":
            parser.add_argument("--yes", action="store_true", help="required: destroy really deletes resources")
    status = commands.add_parser("status", help="one table for the federation from the stacks' outputs")
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    _outputs_source(status)
    graph = commands.add_parser("graph", help="draw the exchange, parties and routes (Graphviz)")
    graph.add_argument("--out", required=True, type=Path, help="FILE.svg, FILE.png or FILE.pdf")
    _outputs_source(graph)


def _engine_setup(args: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """The program to run and the engine's environment: an inline program when the engine has no Python
    language host, the stand-in plugins where no real tls/random plugin is installed; says which."""
    from fedctl.automation import LANGUAGE_HOST, language_host_found, project_program, with_stand_in_plugins

    env: dict[str, str] = {}
    if args.stand_in_plugins:
        env, stood_in = with_stand_in_plugins(args.stand_in_plugins, env)
        if stood_in:
            print(f"note: no {' or '.join(stood_in)} plugin is installed: using the project's STAND-IN plugins "
                  f"({args.stand_in_plugins}; real keys, certificates and passwords, but not the published "
                  "providers: docs/real-engine.md)")
    program = None
    if not language_host_found(env):
        program = project_program(args.project)
        print(f"note: {LANGUAGE_HOST} is not on PATH: the program runs in this process as an Automation API "
              "inline program (same __main__.py, same stack config)")
    return program, env


def _drive(args: argparse.Namespace) -> int:
    from fedctl.automation import AutomationRunner

    if args.command == "destroy" and not args.yes:
        print("error: destroy deletes every resource of the stacks: run it again with --yes", file=sys.stderr)
        return 1
    try:
        federation = read_federation(args.project)
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for note in federation.notes:
        print(f"note: {note}")
    engine = (lambda line: print(f"    {line.rstrip()}")) if args.verbose else None
    program, env = _engine_setup(args)
    runner = AutomationRunner(args.project, backend=args.backend, engine_output=engine, env=env, program=program)
    try:
        outcome = drive(federation, runner, args.command, args.stacks or None, report=print,
                        max_rounds=getattr(args, "max_rounds", MAX_ROUNDS))
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not outcome.ok:
        print(f"error: {describe_failure(outcome)}", file=sys.stderr)
        return 1
    done = f" in {outcome.rounds} round{'s' if outcome.rounds != 1 else ''}" if args.command == "up" else ""
    print(f"{args.command} finished{done}: {', '.join(outcome.order)}")
    return 0


def _chosen_stacks(args: argparse.Namespace) -> list[str]:
    """The STACK arguments, each a stack file of the project; default every stack file."""
    known = stack_names(args.project)
    unknown = [name for name in args.stacks if name not in known]
    if unknown:
        raise StackFileError(f"no stack file Pulumi.{unknown[0]}.yaml in {args.project} "
                             f"(stacks: {', '.join(known) or 'none'})")
    return list(args.stacks) or known


def _report(args: argparse.Namespace) -> Any:
    """The StatusReport from the render directory or the backend; raises StepError/StatusError."""
    from fedctl.status import federation_status, rendered_outputs

    project = project_name(args.project)
    if args.from_render:
        outputs = rendered_outputs(args.from_render)
        if args.stacks:
            outputs = {name: outputs.get(name) for name in _chosen_stacks(args)}
    else:
        from fedctl.automation import automation_outputs

        outputs = automation_outputs(args.project, _chosen_stacks(args), backend=args.backend)
    return federation_status(outputs, project, warn_days=args.warn_days)


def run_command(args: argparse.Namespace) -> int:
    """Run one of COMMANDS; the exit code."""
    if args.command in ("up", "preview", "destroy"):
        return _drive(args)
    from fedctl.graph import GraphError, write_graph
    from fedctl.status import StatusError, format_table

    try:
        report = _report(args)
        if args.command == "graph":
            print(f"drew {write_graph(report, args.out)}")
            return 0
    except (StatusError, StepError, StackFileError, GraphError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(json.dumps(report.to_json(), indent=2) if args.json else format_table(report))
    return report.exit_code
