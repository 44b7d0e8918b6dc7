"""The orchestrator's runner and the status outputs source on the real engine: the Pulumi Automation API.

A LocalWorkspace on the project directory (so the stack files and Pulumi.yaml's runtime are the ones
`pulumi up` would use), stacks selected or created, the backend from `--backend`, PULUMI_BACKEND_URL or
the user's `pulumi login`. Needs the `pulumi` CLI on PATH (scripts/build-engine.sh builds one here).
"""

from __future__ import annotations

import contextlib
import os
import re
import runpy
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fedctl.orchestrate import Action, StepError, StepResult, summarize_changes
from fedctl.status import SECRET


def engine_message(text: str) -> str:
    """The useful part of an Automation API CommandError: the engine's `error:` lines and diagnostics,
    else its stderr, else the text (the error's str holds `code`, `stdout` and `stderr` sections)."""
    stdout, stderr = text, ""
    if "\n stdout: " in text:
        stdout = text.split("\n stdout: ", 1)[1]
        if "\n stderr: " in stdout:
            stdout, stderr = stdout.split("\n stderr: ", 1)
    lines = [line.rstrip() for line in (stdout + "\n" + stderr).splitlines()]
    errors: list[str] = []
    index = 0
    while index < len(lines):
        start = re.match(r"(\s*)error: ", lines[index])
        index += 1
        if not start:
            continue
        block = [lines[index - 1].strip()]
        # an error's own lines are indented deeper (e.g. each invalid config key)
        while index < len(lines) and lines[index].strip() \
                and len(lines[index]) - len(lines[index].lstrip()) > len(start.group(1)):
            block.append("  " + lines[index].strip())
            index += 1
        errors.append("\n".join(block))
    if errors:
        return "\n".join(dict.fromkeys(errors))
    return stderr.strip() or stdout.strip() or text.strip()


LANGUAGE_HOST = "pulumi-language-python"
"""The engine's Python language host; the Go module proxy does not serve it (docs/real-engine.md)."""


def language_host_found(env: Mapping[str, str] | None = None) -> bool:
    """Whether the engine can start Pulumi.yaml's python runtime itself: its host is on PATH."""
    path = (env or {}).get("PATH", os.environ.get("PATH"))
    return shutil.which(LANGUAGE_HOST, path=path) is not None


def project_program(project_dir: Path) -> Callable[[], None]:
    """The project's __main__.py as an Automation API inline program, run the way the language host runs
    it (run_name __main__, the project directory as working directory and first on sys.path), so an
    engine without the host still runs the same program with the same stack config."""
    project_dir = Path(project_dir).resolve()

    def run() -> None:
        if str(project_dir) not in sys.path:
            sys.path.insert(0, str(project_dir))
        with contextlib.chdir(project_dir):
            runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    return run


STAND_IN_PLUGINS = ("tls", "random")
"""Resource plugins the repository's stacks need that the Go module proxy here refuses; the project's
stand-ins (fedctl/plugin_doubles) take their place where no real one is installed."""


def _plugin_installed(name: str, path: str | None) -> bool:
    """A real plugin the engine would use: ambient on PATH or installed under PULUMI_HOME (`pulumi plugin
    install`)."""
    if shutil.which(f"pulumi-resource-{name}", path=path):
        return True
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    return any((home / "plugins").glob(f"resource-{name}-v*"))


def with_stand_in_plugins(stand_ins: Path, env: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """`env` with `stand_ins` (the dir of install-plugin-doubles.sh) on PATH when a plugin of
    STAND_IN_PLUGINS is not installed, and the names it stands in for (empty: every real plugin is there)."""
    env = dict(env or {})
    path = env.get("PATH", os.environ.get("PATH", ""))
    missing = [name for name in STAND_IN_PLUGINS if not _plugin_installed(name, path)]
    if missing:
        env["PATH"] = f"{path}{os.pathsep}{stand_ins}" if path else str(stand_ins)
    return env, missing


def _values(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """OutputValue map -> plain values, secrets kept (only to compare, never printed)."""
    return {key: (value.value, value.secret) for key, value in outputs.items()}


def redact(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """OutputValue map -> plain values with every secret output as `[secret]`."""
    return {key: SECRET if value.secret else value.value for key, value in outputs.items()}


class AutomationRunner:
    """Runs stack steps through the Automation API; `engine_output` gets the engine's own lines (-v)."""

    def __init__(self, project_dir: Path, *, backend: str | None = None,
                 engine_output: Callable[[str], None] | None = None,
                 env: Mapping[str, str] | None = None, program: Callable[[], None] | None = None) -> None:
        """`program`: run this function as the stacks' program (an Automation API inline program)
        instead of starting Pulumi.yaml's runtime: for an engine without the Python language host."""
        self.project_dir = Path(project_dir).resolve()
        self.program = program
        self.env = {"PULUMI_SKIP_UPDATE_CHECK": "true", **(env or {})}
        if backend:
            self.env["PULUMI_BACKEND_URL"] = backend
        self.backend = backend or os.environ.get("PULUMI_BACKEND_URL") or "the backend of `pulumi login`"
        self.engine_output = engine_output
        self._stacks: dict[str, Any] = {}
        self._outputs: dict[str, dict[str, Any]] = {}

    def _workspace(self) -> Any:
        from pulumi import automation as auto

        # the CLI is looked up on the PATH the engine will run with (env may carry its own)
        cli = shutil.which("pulumi", path=self.env.get("PATH", os.environ.get("PATH")))
        try:
            if cli is None:
                raise FileNotFoundError("pulumi")
            found = Path(cli).resolve()
            # PulumiCommand takes the directory holding bin/pulumi; else it runs `pulumi` from PATH
            command = auto.PulumiCommand(root=str(found.parent.parent) if found.parent.name == "bin" else None)
            return auto.LocalWorkspace(work_dir=str(self.project_dir), env_vars=self.env, program=self.program,
                                       pulumi_command=command)
        except FileNotFoundError:
            raise StepError("the `pulumi` CLI is not on PATH: install it (scripts/build-engine.sh builds one "
                            "here) and put its directory on PATH") from None
        except auto.InvalidVersionError as error:
            raise StepError(f"the `pulumi` CLI is too old for this Automation API: {error}") from None

    def prepare(self, stacks: Sequence[str], action: Action) -> None:
        """Reach the backend, then select every stack (create it for `up` and `preview`), before any step."""
        from pulumi import automation as auto

        workspace = self._workspace()
        try:
            workspace.who_am_i()
        except auto.CommandError as error:
            raise StepError(f"cannot reach the backend ({self.backend}): {engine_message(str(error))}; "
                            "check --backend / PULUMI_BACKEND_URL or run `pulumi login`") from None
        for name in stacks:
            try:
                if action == "destroy":
                    stack = auto.Stack.select(name, workspace)
                else:
                    stack = auto.Stack.create_or_select(name, workspace)
                self._outputs[name] = _values(stack.outputs())
            except auto.StackNotFoundError:
                raise StepError(f"stack {name} does not exist in {self.backend}: nothing to destroy") from None
            except auto.CommandError as error:
                raise StepError(f"stack {name}: {engine_message(str(error))}") from None
            self._stacks[name] = stack

    def run(self, stack: str, action: Action) -> StepResult:
        from pulumi import automation as auto

        handle = self._stacks[stack]
        kwargs: dict[str, Any] = {"on_output": self.engine_output} if self.engine_output else {}
        try:
            if action == "preview":
                result = handle.preview(**kwargs)
                return StepResult(False, summarize_changes(result.change_summary or {}))
            if action == "destroy":
                result = handle.destroy(**kwargs)
                return StepResult(True, summarize_changes(result.summary.resource_changes or {}))
            result = handle.up(**kwargs)
        except auto.CommandError as error:
            message = engine_message(str(error))
            if action == "up":  # the failed workloads' pods and why, from the stack's cluster
                from fedctl.diagnose import explain_failed_up

                message += explain_failed_up(handle, message, self.project_dir, self.env)
            raise StepError(message) from None
        after = _values(result.outputs)
        changed = after != self._outputs.get(stack)
        self._outputs[stack] = after
        return StepResult(changed, summarize_changes(result.summary.resource_changes or {}))


def automation_outputs(project_dir: Path, stacks: Sequence[str], *, backend: str | None = None,
                       env: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Stack name -> its outputs on the backend, secrets redacted; {} for a stack not created or not
    deployed. Raises StepError when the backend cannot be reached."""
    from pulumi import automation as auto

    runner = AutomationRunner(project_dir, backend=backend, env=env)
    workspace = runner._workspace()
    try:
        workspace.who_am_i()
    except auto.CommandError as error:
        raise StepError(f"cannot reach the backend ({runner.backend}): {engine_message(str(error))}") from None
    outputs: dict[str, dict[str, Any]] = {}
    for name in stacks:
        try:
            outputs[name] = redact(auto.Stack.select(name, workspace).outputs())
        except auto.StackNotFoundError:
            outputs[name] = {}
        except auto.CommandError as error:
            raise StepError(f"stack {name}: {engine_message(str(error))}") from None
    return outputs
