"""The STAND-IN (test-double) tls and random plugins on an Engine's PATH (fedctl.plugin_doubles; not the
real providers, which the Go module proxy does not serve: docs/real-engine.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.engine import REPO, Engine

DOUBLES_ENV = "FATE_FEDERATION_PLUGIN_DOUBLES"


def doubles_dir() -> Path:
    """`make test` exports the dir; otherwise run the install script (it only writes two wrapper scripts)."""
    value = os.environ.get(DOUBLES_ENV) or subprocess.run(
        ["bash", str(REPO / "scripts" / "install-plugin-doubles.sh")], check=True, capture_output=True,
        text=True).stdout.splitlines()[-1]
    return Path(value)


def with_doubles(engine: Engine) -> Engine:
    """The engine with the doubles first on its PATH (only this engine: other tests must not see them)."""
    engine.extra_env["PATH"] = f"{doubles_dir()}{os.pathsep}{engine.env()['PATH']}"
    return engine
