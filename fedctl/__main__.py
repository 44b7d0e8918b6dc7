"""fedctl: tools beside the Pulumi program. `python -m fedctl render --out DIR [--stack NAME]`."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from fedctl.render import RenderError, render_stacks, summary, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fedctl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser(
        "render", help="render stacks offline (no cluster, no Pulumi CLI): review and CI tooling, never applies")
    render.add_argument("--out", required=True, type=Path, help="output directory (DIR/<stack>/...)")
    render.add_argument("--stack", action="append", help="render only this stack (repeatable)")
    render.add_argument("--project", type=Path, default=Path.cwd(), help="project directory (default: .)")
    render.add_argument("--show-secrets", action="store_true", help="write secret values instead of [secret]")
    render.add_argument("--debug", action="store_true", help="print tracebacks")
    args = parser.parse_args(argv)
    try:
        rendered = render_stacks(args.project, args.stack)
    except RenderError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return 1
    for item in rendered:
        write(item, args.out, show_secrets=args.show_secrets)
        print(summary(item))
    print(f"rendered into {args.out}/ (emulated: no cluster was contacted, nothing was applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
