"""scripts/build-engine.sh names the module and version the Go module proxy refuses, and builds nothing.

Runs the real script on a copy of tools/engine whose CLI pin is the Python SDK's 3.272.0 (which the proxy
refuses: docs/real-engine.md), with its own cache dir. Asks the proxy for one version (seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.peers import require_peer

REPO = Path(__file__).resolve().parents[1]


def test_a_refused_pin_is_named_with_the_fix(tmp_path: Path) -> None:
    require_peer("the Go toolchain", shutil.which("go") is not None, "install Go (the machine image has it)")
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "build-engine.sh", tmp_path / "scripts")
    shutil.copytree(REPO / "tools" / "engine", tmp_path / "tools" / "engine")
    go_mod = tmp_path / "tools" / "engine" / "pulumi" / "go.mod"
    pinned = go_mod.read_text()
    assert "github.com/pulumi/pulumi/pkg/v3 v3.274.0" in pinned
    go_mod.write_text(pinned.replace("github.com/pulumi/pulumi/pkg/v3 v3.274.0", "github.com/pulumi/pulumi/pkg/v3 v3.272.0"))
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "build-engine.sh")], capture_output=True, text=True,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}, timeout=300)
    assert result.returncode != 0
    assert "the Go module proxy refused:\n  github.com/pulumi/pulumi/pkg/v3@v3.272.0: " in result.stderr, result.stderr
    assert "pin a version it serves in tools/engine/*/go.mod" in result.stderr
    assert result.stdout == ""  # no bin dir printed
    assert not list((tmp_path / "cache").rglob(".complete"))
