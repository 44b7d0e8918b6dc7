"""The real Pulumi engine for tests: the CLI and plugins scripts/build-engine.sh built, on a file backend.

`make test` exports FATE_FEDERATION_ENGINE_BIN (the script's bin dir). Without it the engine tests skip,
and under `make test`/CI (FATE_FEDERATION_REQUIRE_PEERS=1) they fail (tests/support/peers.py).
Each Engine owns a temp dir holding its file backend (`pulumi login file://...`) and its PULUMI_HOME, a
passphrase secrets provider, and copies of the projects it runs, so tests never touch the repository's
stack files. Programs run through tests/support/engine_runner.py (the Python language host is not
buildable here: docs/real-engine.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.peers import require_peer

ENGINE_BIN_ENV = "FATE_FEDERATION_ENGINE_BIN"
REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "engine-tests-passphrase"
ENGINE_TIMEOUT_S = 900


def engine_bin_dir() -> Path:
    """The built bin dir, or skip/fail like any other missing peer."""
    value = os.environ.get(ENGINE_BIN_ENV, "")
    available = bool(value) and (Path(value) / "pulumi").is_file()
    require_peer("the Pulumi engine", available,
                 f"run `bash scripts/build-engine.sh` and export {ENGINE_BIN_ENV}=<the bin dir it prints last>")
    return Path(value)


def benchmark_engine_bin() -> Path | None:
    """For benchmarks (no pytest): the built bin dir, or None after saying how to get one."""
    value = os.environ.get(ENGINE_BIN_ENV)
    if not value:
        print(f"{ENGINE_BIN_ENV} is not set: run `bash scripts/build-engine.sh` and export its last line")
        return None
    return Path(value)


@dataclass
class Engine:
    """One file backend + PULUMI_HOME; `cli` runs the real CLI, `run` runs a program through it."""

    bin_dir: Path
    root: Path
    passphrase: str = PASSPHRASE
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.backend.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        self.cli(self.root, "login", f"file://{self.backend}")

    @property
    def backend(self) -> Path:
        return self.root / "backend"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def env(self, **overrides: str | None) -> dict[str, str]:
        """The engine's environment: nothing from the caller's PULUMI_* settings, no downloads, no update
        check; the venv's python for the dynamic-provider plugin; the repo importable for pickled providers."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PULUMI_")}
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            PULUMI_HOME=str(self.home),
            PULUMI_CONFIG_PASSPHRASE=self.passphrase,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_PYTHON_CMD=sys.executable,
            PYTHONPATH=str(REPO),
            PYTHONUNBUFFERED="1",
            **{ENGINE_BIN_ENV: str(self.bin_dir)},
        )
        env.update(self.extra_env)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def cli(self, cwd: Path, *args: str, check: bool = True, env: dict[str, str | None] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        """`pulumi ARGS` in cwd (non-interactive)."""
        result = subprocess.run([str(self.bin_dir / "pulumi"), *args, "--non-interactive"], cwd=cwd,
                                env=self.env(**(env or {})), capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def run(self, project: Path, stack: str, action: str, *flags: str, check: bool = True,
            env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
        """`pulumi ACTION` of the project's program on STACK (tests/support/engine_runner.py)."""
        result = subprocess.run([sys.executable, "-m", "tests.support.engine_runner", str(project), stack, action, *flags],
                                cwd=REPO, env=self.env(**(env or {})), capture_output=True, text=True,
                                timeout=ENGINE_TIMEOUT_S)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {action} {stack} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def copy_project(self, source: Path, name: str | None = None) -> Path:
        """A private copy of a project directory (its stack files get this backend's encryption salt)."""
        target = self.root / (name or source.name)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target

    def init_stack(self, project: Path, stack: str, config: dict[str, Any] | None = None,
                   secrets: dict[str, str] | None = None) -> None:
        """`pulumi stack init` (passphrase secrets provider) and `pulumi config set --path` each given key."""
        self.cli(project, "stack", "init", stack, "--secrets-provider", "passphrase")
        for key, value in (config or {}).items():
            self.set_config(project, stack, key, value)
        for key, value in (secrets or {}).items():
            self.cli(project, "config", "set", "--stack", stack, "--secret", key, value)

    def set_config(self, project: Path, stack: str, key: str, value: Any) -> None:
        """`pulumi config set --path` as a user types it: one call per leaf (a list is replaced whole)."""
        if isinstance(value, dict):
            for name, item in value.items():
                self.set_config(project, stack, f"{key}.{name}", item)
        elif isinstance(value, list):
            self.cli(project, "config", "rm", "--stack", stack, "--path", key, check=False)
            for index, item in enumerate(value):
                self.set_config(project, stack, f"{key}[{index}]", item)
        else:
            kind = "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "string"
            text = str(value).lower() if isinstance(value, bool) else str(value)
            self.cli(project, "config", "set", "--stack", stack, "--path", "--type", kind, key, text)

    def outputs(self, project: Path, stack: str, *, show_secrets: bool = False) -> dict[str, Any]:
        """`pulumi stack output --json` as a user reads it."""
        args = ["stack", "output", "--json", "--stack", stack] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.cli(project, *args).stdout)

    def export(self, project: Path, stack: str) -> dict[str, Any]:
        """`pulumi stack export` (the state file as the backend stores it)."""
        return json.loads(self.cli(project, "stack", "export", "--stack", stack).stdout)

    def resources(self, project: Path, stack: str) -> list[dict[str, Any]]:
        return self.export(project, stack)["deployment"].get("resources") or []

    def preview_steps(self, project: Path, stack: str) -> list[dict[str, Any]]:
        """The steps of `pulumi preview --json` that change something (not `same`)."""
        result = self.run(project, stack, "preview", "--json")
        steps = json.loads(result.stdout).get("steps") or []
        return [step for step in steps if step.get("op") != "same"]

    def stack_file(self, stack: str) -> Path:
        """The backend's state file of a stack (the file backend keeps one JSON file per stack)."""
        matches = [path for path in self.backend.rglob(f"{stack}.json") if ".history" not in path.parts]
        assert matches, f"no state file for {stack} under {self.backend}"
        return matches[0]


def resource_types(resources: list[dict[str, Any]]) -> list[str]:
    return [resource["type"] for resource in resources]


def by_type(resources: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [resource for resource in resources if resource["type"] == type_]
