"""The repository's program and stack files driven by `python -m fedctl` (what `make federation` runs) on a
file backend and an embedded cluster: the shared harness of tests/test_engine_repository_stacks.py and
benchmarks/bench_federation_deploy.py. The tls and random plugins are the project's STAND-INS (the Go module
proxy refuses the real ones: docs/real-engine.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.cluster import Cluster
from tests.support.engine import REPO, Engine
from tests.support.plugin_doubles import doubles_dir

STACKS = ("exchange", "party-a", "party-b")
NAMESPACES = {"exchange": "fate-exchange", "party-a": "fate-9999", "party-b": "fate-10000", "party-c": "fate-10001"}
PROGRAM_PARTS = ("Pulumi.yaml", "__main__.py", "components", "facts", "jobs", "specs", "stacks")
FEDCTL_TIMEOUT_S = 1800


@dataclass
class Federation:
    kube: Cluster
    engine: Engine
    project: Path
    first_up: subprocess.CompletedProcess[str]

    def fedctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m fedctl ARGS` on the project copy, as `make federation` runs it."""
        command = [sys.executable, "-m", "fedctl", *args, "--project", str(self.project),
                   "--backend", f"file://{self.engine.backend}"]
        if args[0] in ("up", "preview", "destroy"):
            command += ["--stand-in-plugins", str(doubles_dir())]
        result = subprocess.run(command, cwd=REPO, env=self.engine.env(), capture_output=True, text=True,
                                timeout=FEDCTL_TIMEOUT_S)
        if check and result.returncode != 0:
            raise AssertionError(f"fedctl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def pods(self, stack: str) -> dict[str, dict[str, Any]]:
        return {pod["metadata"]["name"]: pod for pod in self.kube.get("pods", "-n", NAMESPACES[stack])["items"]}


def copy_program(target: Path) -> Path:
    """The program and the repository's stack files, nothing else (each copy gets its own encryption salts)."""
    target.mkdir(parents=True)
    for part in PROGRAM_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / part)
    for stack_file in REPO.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, target / stack_file.name)
    return target


def changes_of(output: str) -> dict[str, str]:
    """`[round] stack: up ok +N ~N =N ...` lines -> stack -> its change summary, the last round's (fedctl's report)."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^\[\d+\] (\S+): up ok (.*?) \(", output, re.MULTILINE):
        found[match.group(1)] = match.group(2)
    return found


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def uids(federation: Federation, kind: str, stack: str) -> dict[str, str]:
    """Name -> uid of the stack's objects of one kind: what was replaced or rolled shows as a new uid."""
    return {item["metadata"]["name"]: item["metadata"]["uid"]
            for item in federation.kube.get(kind, "-n", NAMESPACES[stack])["items"]}


def add_party_c(project: Path, fate_version: str) -> None:
    """A third party as a user adds one: its stack file (party-b's, another id, namespace and node address)
    and its entry in the exchange's parties."""
    config = yaml.safe_load((project / "Pulumi.party-b.yaml").read_text())
    party = config["config"]["fate-federation:party"]
    party.update(partyId=10001, namespace="fate-10001", fateVersion=fate_version)
    party["exposure"]["nodeAddress"] = "203.0.113.21"
    (project / "Pulumi.party-c.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    exchange_file = project / "Pulumi.exchange.yaml"
    exchange = yaml.safe_load(exchange_file.read_text())
    exchange["config"]["fate-federation:exchange"]["parties"].append({"stack": "organization/fate-federation/party-c"})
    exchange_file.write_text(yaml.safe_dump(exchange, sort_keys=False))


def edit_party(project: Path, stack: str, change: Any) -> None:
    """Change `fate-federation:party` in a stack file, as a user edits it."""
    path = project / f"Pulumi.{stack}.yaml"
    config = yaml.safe_load(path.read_text())
    change(config["config"]["fate-federation:party"])
    path.write_text(yaml.safe_dump(config, sort_keys=False))
