"""Wall time of the real Pulumi engine's `pulumi up` per stack and for a whole federation, beside the
offline render (fedctl.render, the SDK mocks, as `python -m fedctl render`) of the same program and stacks.

The program is tests/fixtures/engine_program (hub + two spokes, kubernetes provider in render mode): the
repository's own stacks need the tls and random plugins, which cannot be built here (docs/real-engine.md).
A federation is the bootstrap order: hub, spoke-a, spoke-b, hub. Each round uses a fresh file backend.

Usage: FATE_FEDERATION_ENGINE_BIN=$(bash scripts/build-engine.sh | tail -n 1) \\
       .venv/bin/python benchmarks/bench_engine.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from fedctl.render import render_stacks  # noqa: E402
from tests.support.engine import Engine, benchmark_engine_bin  # noqa: E402

PROGRAM = PROJECT / "tests" / "fixtures" / "engine_program"
BOOTSTRAP = ("hub", "spoke-a", "spoke-b", "hub")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def engine_round(bin_dir: Path) -> dict[str, float]:
    """One bootstrap on a fresh backend: each stack's first `up`, and the whole sequence."""
    with tempfile.TemporaryDirectory() as root:
        engine = Engine(bin_dir, Path(root))
        project = engine.copy_project(PROGRAM)
        for stack in dict.fromkeys(BOOTSTRAP):
            engine.init_stack(project, stack, {"kubernetes.renderYamlToDirectory": f"{root}/render/{stack}"},
                              secrets=None if stack == "hub" else {"dbPassword": "bench-password"})
        times: dict[str, float] = {}
        total = 0.0
        for index, stack in enumerate(BOOTSTRAP):
            seconds = timed(lambda: engine.run(project, stack, "up"))
            times.setdefault(stack if index < 3 else "hub (second)", seconds)
            total += seconds
        times["federation"] = total
        return times


def render_round() -> dict[str, float]:
    """The offline render of the same stacks (fedctl.render under the SDK mocks): each stack alone (its
    first run), and the whole federation until its outputs settle (what `fedctl render` does)."""
    with tempfile.TemporaryDirectory() as root:
        project = Path(root) / "program"
        shutil.copytree(PROGRAM, project)
        for stack in ("hub", "spoke-a", "spoke-b"):
            path = project / f"Pulumi.{stack}.yaml"
            extra = f"  engine-federation:kubernetes:\n    renderYamlToDirectory: {root}/manifests/{stack}\n"
            if stack != "hub":
                extra += "  engine-federation:dbPassword: bench-password\n"
            path.write_text(path.read_text() + extra)
        times = {stack: render_stacks(project, [stack], isolated=True)[0].total_seconds
                 for stack in ("hub", "spoke-a", "spoke-b")}
        times["federation"] = sum(item.total_seconds for item in render_stacks(project))
        return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    bin_dir = benchmark_engine_bin()
    if bin_dir is None:
        return 1
    version = subprocess.run([f"{bin_dir}/pulumi", "version"], capture_output=True, text=True).stdout.strip()
    engine_rounds = [engine_round(Path(bin_dir)) for _ in range(args.repeat)]
    render_rounds = [render_round() for _ in range(args.repeat)]
    print(f"pulumi {version}, {os.cpu_count()} cores; median of {args.repeat} round(s), seconds (wall, includes "
          "process start)")
    print(f"{'what':<28}{'engine up':>12}{'offline render':>16}")
    for key in ("hub", "spoke-a", "spoke-b", "hub (second)", "federation"):
        engine_s = statistics.median(r[key] for r in engine_rounds)
        render_key = "hub" if key == "hub (second)" else key
        render_s = statistics.median(r[render_key] for r in render_rounds) if key != "hub (second)" else None
        label = "federation (bootstrap)" if key == "federation" else key
        render_text = f"{render_s:>16.1f}" if render_s is not None else f"{'-':>16}"
        print(f"{label:<28}{engine_s:>12.1f}{render_text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
