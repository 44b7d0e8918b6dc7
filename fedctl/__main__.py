"""fedctl: tools beside the Pulumi program.

`python -m fedctl render --out DIR [--stack NAME] [--show-secrets]` renders the stacks offline (no
cluster, no Pulumi CLI) into DIR/<stack>/manifests/ and DIR/<stack>/outputs.json: review and CI
tooling like `helm template`, never a way to apply.
`python -m fedctl up|preview|destroy|status|graph`: drive and inspect the federation
(fedctl/federation_cli.py, docs/operations.md).
`python -m fedctl cluster start|stop [--dir DIR]`: the embedded cluster (real control plane, SIMULATED
nodes and pods; docs/embedded-cluster.md).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from fedctl import cluster
from fedctl import federation_cli
from fedctl.render import PROJECT_ROOT, RenderError, findings, render_stacks, summary, write


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fedctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser(
        "render", help="render stacks offline (emulated engine and cluster): review and CI tooling, never applies")
    render.add_argument("--out", required=True, type=Path, help="output directory (DIR/<stack>/...)")
    render.add_argument("--stack", action="append", metavar="NAME",
                        help="write only this stack (repeatable); the others still run so references resolve")
    render.add_argument("--isolated", action="store_true",
                        help="run only the chosen stacks, without the others' outputs (a first `pulumi up`)")
    render.add_argument("--project", type=Path, default=PROJECT_ROOT,
                        help=f"project directory holding Pulumi.yaml (default: {PROJECT_ROOT})")
    render.add_argument("--show-secrets", action="store_true",
                        help="write secret values (Secret data, secret outputs) instead of [secret]")
    render.add_argument("--debug", action="store_true", help="print the traceback when a stack fails")
    cluster.add_commands(commands)
    federation_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in federation_cli.COMMANDS:
        return federation_cli.run_command(args)
    if args.command == "cluster":
        return cluster.run_command(args)
    try:
        rendered = render_stacks(args.project, args.stack, isolated=args.isolated)
        for item in rendered:
            write(item, args.out, show_secrets=args.show_secrets)
    except RenderError as error:
        if args.debug:
            traceback.print_exception(error.__cause__ or error)
        print(f"error: {error}", file=sys.stderr)
        return 1
    for item in rendered:
        print(summary(item))
        for note in findings(item):
            print(f"  warning: {note}")
    print(f"rendered into {args.out}/ (emulated engine and cluster: nothing was contacted or applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
