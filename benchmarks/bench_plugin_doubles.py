"""Wall time of the real engine on the STAND-IN (test-double) tls and random plugins, beside the offline
render (SDK mocks) of the same program: tests/fixtures/plugin_doubles_program (the program's CA with a
4096-bit key, a party key, CSR and signed certificate, a password). The doubles are not the real providers
(the Go module proxy refuses those: docs/real-engine.md); figures for the real ones cannot be taken here.

Usage: FATE_FEDERATION_ENGINE_BIN=$(bash scripts/build-engine.sh | tail -n 1) \\
       .venv/bin/python benchmarks/bench_plugin_doubles.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from fedctl.render import render_stacks  # noqa: E402
from tests.support.engine import Engine, benchmark_engine_bin  # noqa: E402
from tests.support.plugin_doubles import with_doubles  # noqa: E402

PROGRAM = PROJECT / "tests" / "fixtures" / "plugin_doubles_program"
STACK = "party"
FQDN = "party-9999.fate.test"


def engine_round(bin_dir: Path) -> dict[str, float]:
    """On a fresh backend: the first `up` (creates 11 resources), a no-change `up`, a `refresh`."""
    with tempfile.TemporaryDirectory() as root:
        engine = with_doubles(Engine(bin_dir, Path(root)))
        project = engine.copy_project(PROGRAM)
        engine.init_stack(project, STACK, {"fqdn": FQDN})
        times = {}
        for label, action, flags in (("up (create)", "up", ()), ("up (no change)", "up", ("--expect-no-changes",)),
                                     ("refresh", "refresh", ("--expect-no-changes",))):
            start = time.perf_counter()
            engine.run(project, STACK, action, *flags)
            times[label] = time.perf_counter() - start
        return times


def render_seconds() -> float:
    """The offline render of the same stack (fedctl.render under the SDK mocks, the same emulations)."""
    with tempfile.TemporaryDirectory() as root:
        project = Path(root) / "program"
        shutil.copytree(PROGRAM, project, ignore=shutil.ignore_patterns("__pycache__"))
        (project / f"Pulumi.{STACK}.yaml").write_text(f"config:\n  plugin-doubles:fqdn: {FQDN}\n")
        return render_stacks(project, [STACK], isolated=True)[0].total_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    bin_dir = benchmark_engine_bin()
    if bin_dir is None:
        return 1
    rounds = [engine_round(Path(bin_dir)) for _ in range(args.repeat)]
    render = statistics.median(render_seconds() for _ in range(args.repeat))
    print(f"{os.cpu_count()} cores; median of {args.repeat} round(s), seconds (wall, includes process starts)")
    print(f"{'what':<28}{'engine + stand-ins':>20}{'offline render':>16}")
    for key in rounds[0]:
        other = f"{render:>16.1f}" if key == "up (create)" else f"{'-':>16}"
        print(f"{key:<28}{statistics.median(r[key] for r in rounds):>20.1f}{other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
