"""From nothing to a joined two-party federation, and a third party added to it: the repository's own stacks
through the real engine onto the embedded cluster (real API server, kwok-SIMULATED pods), on the project's
STAND-IN tls/random plugins (docs/real-engine.md).

Side by side: `fedctl up` (previews every stack, then rounds until nothing changes) and the hand-run
sequence it replaces, docs/federation.md's steps 1-4 typed as one `pulumi up` per stack (exchange, party-a,
party-b, exchange, party-a, party-b), each on its own fresh cluster and backend. For the third party: wall
time, engine runs, what each stack changed and which running pods rolled.

Usage: FATE_FEDERATION_ENGINE_BIN=$(bash scripts/build-engine.sh | tail -n 1) \\
       FATE_CLUSTER_BIN=$(bash scripts/build-cluster.sh | tail -n 1) .venv/bin/python benchmarks/bench_federation_deploy.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.support.cluster import running_cluster  # noqa: E402
from tests.support.engine import Engine, engine_bin_dir  # noqa: E402
from tests.support.repository_federation import (NAMESPACES, STACKS, Federation, add_party_c,  # noqa: E402
                                                 changes_of, copy_program, uids)

HAND_RUN = ("exchange", "party-a", "party-b", "exchange", "party-a", "party-b")
"""docs/federation.md steps 1-4, one `pulumi up -s STACK` each."""


def engine_runs(output: str) -> int:
    """Engine operations fedctl ran (each preview and each up is one CLI run)."""
    return len(re.findall(r"^(?:\[\d+\] )?\S+: (?:preview|up) (?:ok|FAILED)", output, re.MULTILINE))


def all_pod_uids(federation: Federation, stacks: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {stack: uids(federation, "pods", stack) for stack in stacks}


def rolled(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    """Pods that ran before and were replaced (a new uid or gone)."""
    return sorted(f"{NAMESPACES[stack]}/{name}" for stack, pods in before.items()
                  for name, uid in pods.items() if after.get(stack, {}).get(name) != uid)


@contextmanager
def fresh(root: Path) -> Iterator[Federation]:
    """A started cluster and a Federation on a new backend with a copy of the program; the cluster stops after."""
    with running_cluster(root / "cluster") as kube:
        engine = Engine(engine_bin_dir(), root / "engine", extra_env={"KUBECONFIG": str(kube.kubeconfig)})
        yield Federation(kube, engine, copy_program(root / "project"), subprocess.CompletedProcess([], 0))


def timed(federation: Federation, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = federation.fedctl(*args)
    return time.perf_counter() - start, result.stdout


def main() -> int:
    with tempfile.TemporaryDirectory() as root, fresh(Path(root)) as federation:
        seconds, out = timed(federation, "up", *STACKS)
        rounds = re.search(r"in (\d+) rounds?", out)
        print(f"fedctl up, nothing -> two parties joined: {seconds:.1f} s, {engine_runs(out)} engine runs "
              f"({rounds.group(1) if rounds else '?'} rounds; previews included)")
        before = all_pod_uids(federation, STACKS)
        add_party_c(federation.project, "2.0.0")
        seconds, out = timed(federation, "up", *STACKS, "party-c")
        print(f"fedctl up, a third party joins: {seconds:.1f} s, {engine_runs(out)} engine runs")
        for stack, summary in changes_of(out).items():
            print(f"  {stack:9} last up: {summary}")
        moved = rolled(before, all_pod_uids(federation, STACKS))
        print(f"  pods rolled among those already running: {', '.join(moved) or 'none'}")
    with tempfile.TemporaryDirectory() as root, fresh(Path(root)) as federation:
        for stack in STACKS:  # docs/federation.md: init every stack before the first `pulumi up`
            federation.engine.init_stack(federation.project, stack)
        seconds, runs = 0.0, 0
        for stack in HAND_RUN:
            step_seconds, out = timed(federation, "up", stack)
            seconds, runs = seconds + step_seconds, runs + engine_runs(out)
        _, check = timed(federation, "up", *STACKS)
        settled = "settled" if "in 1 round:" in check and not any(
            re.search(r"[+~-]\d", summary) for summary in changes_of(check).values()) else "NOT settled"
        print(f"by hand (docs/federation.md steps 1-4, one `up` per stack in the operator's order): {seconds:.1f} s, "
              f"{runs} engine runs (preview + up each); afterwards {settled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
