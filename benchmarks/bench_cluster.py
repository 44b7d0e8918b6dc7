"""The REAL engine against the embedded cluster (real API server, SIMULATED nodes/pods): from nothing to a
joined two-spoke federation, then adding a third spoke: wall time, engine runs, what changed, which pods rolled.

The program is tests/fixtures/engine_program (hub like the exchange, spokes like parties; the repository's
stacks need the tls and random plugins, which cannot be built here: docs/real-engine.md). What it replaces
is the offline render (mocks: nothing applied, nothing awaited), whose figures bench_render.py prints.
Uses FATE_CLUSTER_BIN and FATE_FEDERATION_ENGINE_BIN, or builds/reuses them with the scripts.

    .venv/bin/python benchmarks/bench_cluster.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fedctl import cluster  # noqa: E402
from tests.support.engine import Engine  # noqa: E402

PROGRAM = REPO / "tests" / "fixtures" / "engine_program"
HUB_SPOKES = "hub.spokes"


def _bin(env: str, script: str) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env])
    done = subprocess.run(["bash", str(REPO / "scripts" / script)], stdout=subprocess.PIPE, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])


def _pods(bin_dir: Path, kubeconfig: Path) -> dict[str, str]:
    """namespace/name -> uid of every pod (a changed uid is a pod that rolled)."""
    listed = json.loads(cluster.kubectl(bin_dir, kubeconfig, "get", "pods", "-A", "-o", "json").stdout)
    return {f"{p['metadata']['namespace']}/{p['metadata']['name']}": p["metadata"]["uid"] for p in listed["items"]
            if not p["metadata"]["namespace"].startswith("kube-")}


def main() -> int:
    cluster_bin = _bin("FATE_CLUSTER_BIN", "build-cluster.sh")
    engine_bin = _bin("FATE_FEDERATION_ENGINE_BIN", "build-engine.sh")
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        began = time.monotonic()
        started = cluster.start(root / "cluster", cluster_bin)
        try:
            engine = Engine(engine_bin, root / "engine", extra_env={"KUBECONFIG": str(started.kubeconfig)})
            project = engine.copy_project(PROGRAM)
            runs: list[tuple[str, float]] = []

            def up(stack: str) -> None:
                t = time.monotonic()
                engine.run(project, stack, "up")
                runs.append((stack, time.monotonic() - t))

            contexts = {"hub": "exchange", "spoke-a": "party-a", "spoke-b": "party-b", "spoke-c": "embedded"}
            for stack in ("hub", "spoke-a", "spoke-b"):
                engine.init_stack(project, stack, {"kubernetes.context": contexts[stack]},
                                  secrets=None if stack == "hub" else {"dbPassword": "bench-" + stack})
            for stack in ("hub", "spoke-a", "spoke-b", "hub"):
                up(stack)
            joined = time.monotonic() - began
            first_runs = list(runs)

            runs.clear()
            before = _pods(cluster_bin, started.kubeconfig)
            t = time.monotonic()
            engine.init_stack(project, "spoke-c", {"kubernetes.context": contexts["spoke-c"], "role": "spoke",
                                                   "spoke": {"name": "spoke-c", "dataSize": "1Gi",
                                                             "hub": "organization/engine-federation/hub"}},
                              secrets={"dbPassword": "bench-spoke-c"})
            up("spoke-c")
            engine.set_config(project, "hub", HUB_SPOKES,
                              [{"stack": f"organization/engine-federation/{s}"} for s in ("spoke-a", "spoke-b", "spoke-c")])
            steps = engine.preview_steps(project, "hub")
            up("hub")
            added = time.monotonic() - t
            after = _pods(cluster_bin, started.kubeconfig)
        finally:
            cluster.stop(root / "cluster")

    print("REAL engine + REAL API server (pods simulated by kwok), tests/fixtures/engine_program")
    print(f"  cluster start:                    {started.seconds:6.1f} s")
    print(f"  nothing -> joined 2 spokes:       {joined:6.1f} s, {len(first_runs)} engine runs "
          + ", ".join(f"{s} {d:.1f}s" for s, d in first_runs))
    print(f"  add a third spoke:                {added:6.1f} s, {len(runs)} engine runs "
          + ", ".join(f"{s} {d:.1f}s" for s, d in runs))
    changed = [(s["op"], s["newState"]["type"], s["urn"].rsplit("::", 1)[-1]) for s in steps if s["op"] != "read"]
    print(f"  hub objects changed by the third spoke: {changed}")
    rolled = sorted(name for name, uid in before.items() if after.get(name) not in (None, uid))
    new = sorted(set(after) - set(before))
    print(f"  pods rolled: {rolled or 'none'}; pods created: {new}")
    print("  (the offline render of the same program: benchmarks/bench_render.py; it applies nothing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
