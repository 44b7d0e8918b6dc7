"""The embedded cluster (fedctl/cluster.py) for tests: real control plane, SIMULATED nodes and pods (kwok).

The binaries come from scripts/build-cluster.sh (env FATE_CLUSTER_BIN, which `make test` sets). Tests
assert on what `kubectl` shows, never on our own records.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedctl import cluster
from tests.support.peers import require_peer

HOW = "run `make test` (it builds the cluster with scripts/build-cluster.sh and sets FATE_CLUSTER_BIN)"


def bin_dir() -> Path | None:
    """The complete build named by FATE_CLUSTER_BIN, or None."""
    value = os.environ.get("FATE_CLUSTER_BIN")
    if value and (Path(value).parent / ".complete").exists():
        return Path(value)
    return None


def require_cluster_bin() -> Path:
    found = bin_dir()
    require_peer("the embedded cluster's binaries", found is not None, HOW)
    assert found is not None
    return found


@dataclass
class Cluster:
    directory: Path
    bin_dir: Path
    kubeconfig: Path
    start_seconds: float

    def kubectl(self, *args: str, input_text: str | None = None, check: bool = True,
                timeout: float = 60) -> Any:
        return cluster.kubectl(self.bin_dir, self.kubeconfig, *args, input_text=input_text, check=check,
                               timeout=timeout)

    def get(self, *args: str) -> dict[str, Any]:
        """`kubectl get ... -o json`, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def env(self) -> dict[str, str]:
        """Environment for programs that read the ambient kubeconfig (pulumi, kubectl)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 60, interval: float = 0.3) -> Any:
    """Poll until probe() returns something truthy; fail naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s (last seen: {last!r})")


@contextmanager
def running_cluster(directory: Path) -> Iterator[Cluster]:
    """A started embedded cluster in `directory`, stopped afterwards whatever happens."""
    binaries = require_cluster_bin()
    started = cluster.start(directory, binaries)
    try:
        yield Cluster(directory, binaries, started.kubeconfig, started.seconds)
    finally:
        cluster.stop(directory)


def processes_in(directory: Path) -> list[int]:
    """Pids of processes whose working directory is `directory` (every cluster process runs there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == directory.resolve():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
