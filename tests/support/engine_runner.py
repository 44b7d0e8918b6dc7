"""Run one engine operation on a project directory through the Automation API, as its own process.

The Python language host (`pulumi-language-python`) is not served by the Go module proxy, so the engine
cannot start the program from Pulumi.yaml's runtime itself. This runner is what the host would be: a
fresh interpreter (the project venv) that runs the directory's `__main__.py` with runpy, as the host's
`pulumi-language-python-exec` does, and serves it to the real CLI as an inline program (the CLI runs with
`--client`). Config, stack files, backend and secrets provider are the directory's and the environment's
(tests/support/engine.py sets them).

    python -m tests.support.engine_runner DIR STACK up|preview|refresh|destroy [--expect-no-changes] [--json]

Exit code 0 on success; on failure the engine's own message is printed on stderr and the code is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pulumi import automation as auto

from fedctl.automation import project_program


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project_dir", type=Path)
    parser.add_argument("stack")
    parser.add_argument("action", choices=["up", "preview", "refresh", "destroy"])
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--json", action="store_true", help="preview only: print the engine's --json preview")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    command = auto.PulumiCommand(root=str(Path(os.environ["FATE_FEDERATION_ENGINE_BIN"]).parent))
    workspace = auto.LocalWorkspace(work_dir=str(project_dir), program=project_program(project_dir),
                                    pulumi_command=command)
    stack = auto.Stack.select(args.stack, workspace)
    out = sys.stdout.write
    try:
        if args.action == "up":
            stack.up(on_output=out, expect_no_changes=args.expect_no_changes or None)
        elif args.action == "preview":
            result = stack.preview(on_output=None if args.json else out, json=args.json or None,
                                   expect_no_changes=args.expect_no_changes or None)
            if args.json:
                out(result.stdout)
        elif args.action == "refresh":
            stack.refresh(on_output=out, expect_no_changes=args.expect_no_changes or None)
        else:
            stack.destroy(on_output=out)
    except auto.CommandError as error:
        sys.stdout.flush()
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
