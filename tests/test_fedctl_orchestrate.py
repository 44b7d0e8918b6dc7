"""`python -m fedctl up|preview|destroy`: the bootstrap order from the stack files, convergence, the
stop at the first failure, and the checks made before any step.

The stack runner is injected: `ProtocolRunner` plays the federation protocol of docs/federation.md on
plain values (an exchange signs the CSRs of the parties it lists; a party exports a CSR once it sees
the exchange, and is joined once its CSR is signed), standing in for the Pulumi engine so that the
orchestrator's own logic is tested apart from it. The stack files are the repository's, or small ones
written here; they are validated by the real config models.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from fedctl.__main__ import main
from fedctl.automation import engine_message
from fedctl.orchestrate import (Action, PlanError, StepError, StepResult, bootstrap_order, describe_failure, drive,
                                read_federation, summarize_changes)
from tests.support.pulumi_harness import PROJECT_DIR

NS = "fate-federation"


class ProtocolRunner:
    """The federation protocol on plain values; records every step, can fail a chosen one."""

    def __init__(self, project_dir: Path, fail: Mapping[tuple[str, str, int], str] | None = None,
                 unreachable: str | None = None, outputs: dict[str, dict[str, Any]] | None = None) -> None:
        self.federation = read_federation(project_dir)
        self.outputs: dict[str, dict[str, Any]] = outputs if outputs is not None else {}
        self.calls: list[tuple[str, str]] = []
        self.fail = dict(fail or {})
        self.unreachable = unreachable
        self.prepared: list[str] | None = None

    def prepare(self, stacks: list[str], action: Action) -> None:
        if self.unreachable:
            raise StepError(self.unreachable)
        self.prepared = list(stacks)

    def _next(self, stack: str) -> dict[str, Any]:
        node = self.federation.stacks[stack]
        if node.role == "exchange":
            return {"up": True, "signed": sorted(p for p in node.reads if self.outputs.get(p, {}).get("csr"))}
        if node.role == "party":
            exchange = self.outputs.get(node.reads[0], {}) if node.reads else {}
            return {"csr": bool(exchange.get("up")), "joined": stack in exchange.get("signed", [])}
        return {"local": True}

    def run(self, stack: str, action: Action) -> StepResult:
        self.calls.append((stack, action))
        count = sum(1 for call in self.calls if call == (stack, action))
        if (stack, action, count) in self.fail:
            raise StepError(self.fail[(stack, action, count)])
        if action == "preview":
            return StepResult(False, "+3")
        if action == "destroy":
            self.outputs.pop(stack, None)
            return StepResult(True, "-3")
        after = self._next(stack)
        changed = after != self.outputs.get(stack)
        self.outputs[stack] = after
        return StepResult(changed, "+3" if changed else "=3")


def write_project(root: Path, stacks: Mapping[str, Mapping[str, Any]]) -> Path:
    """A project dir with the repository's Pulumi.yaml and the given stack files (config without namespace)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", root / "Pulumi.yaml")
    for name, config in stacks.items():
        (root / f"Pulumi.{name}.yaml").write_text(
            yaml.safe_dump({"config": {f"{NS}:{key}": value for key, value in config.items()}}))
    return root


def exchange(*parties: str) -> dict[str, Any]:
    return {"role": "exchange", "kubernetes": {"context": "x"},
            "exchange": {"parties": [{"stack": f"organization/{NS}/{p}"} for p in parties]}}


def party(party_id: int, exchange_stack: str = "exchange") -> dict[str, Any]:
    return {"role": "party", "kubernetes": {"context": "x"}, "party": {"partyId": party_id},
            "exchange": {"stack": f"organization/{NS}/{exchange_stack}"}}


def ups(runner: ProtocolRunner) -> list[str]:
    return [stack for stack, action in runner.calls if action == "up"]


# --- order and convergence ---------------------------------------------------------------------------

def test_bootstrap_order_of_the_repository_stacks() -> None:
    federation = read_federation(PROJECT_DIR)
    assert bootstrap_order(federation) == ["exchange", "party-a", "party-b", "local"]
    assert federation.readers("exchange") == ["party-a", "party-b"]
    assert federation.readers("party-a") == ["exchange"]
    assert federation.readers("local") == []


def test_fresh_federation_settles_in_three_rounds() -> None:
    """docs/federation.md: exchange, parties (CSR), exchange (signs), parties (join), then one exchange
    run that changes nothing. Every stack is previewed before anything is applied."""
    runner = ProtocolRunner(PROJECT_DIR)
    lines: list[str] = []
    outcome = drive(runner.federation, runner, "up", report=lines.append)
    assert outcome.ok and outcome.rounds == 3
    assert runner.calls[:4] == [(s, "preview") for s in ("exchange", "party-a", "party-b", "local")]
    assert ups(runner) == ["exchange", "party-a", "party-b", "local",   # round 1
                           "exchange", "party-a", "party-b",            # round 2: signed, then joined
                           "exchange"]                                  # round 3: nothing changes
    assert runner.outputs["party-a"] == {"csr": True, "joined": True}
    assert runner.outputs["exchange"]["signed"] == ["party-a", "party-b"]
    assert "[2] party-a: up ok +3, outputs changed" in " ".join(lines)
    assert any(line.startswith("[3] exchange: up ok =3 (") for line in lines)


def test_settled_federation_takes_one_round() -> None:
    runner = ProtocolRunner(PROJECT_DIR)
    drive(runner.federation, runner, "up")
    runner.calls.clear()
    outcome = drive(runner.federation, runner, "up")
    assert outcome.ok and outcome.rounds == 1
    assert ups(runner) == ["exchange", "party-a", "party-b", "local"]


def test_a_party_added_later_joins_in_two_more_rounds(tmp_path: Path) -> None:
    """Adding a party (docs/operations.md): list it at the exchange; the others run again but do not change."""
    project = write_project(tmp_path / "p", {"exchange": exchange("party-a"), "party-a": party(9999)})
    runner = ProtocolRunner(project)
    assert drive(runner.federation, runner, "up").ok
    write_project(project, {"exchange": exchange("party-a", "party-c"), "party-c": party(10001)})
    runner = ProtocolRunner(project, outputs=runner.outputs)
    outcome = drive(runner.federation, runner, "up")
    assert outcome.ok and outcome.rounds == 3
    assert runner.outputs["party-c"] == {"csr": True, "joined": True}
    assert ups(runner) == ["exchange", "party-a", "party-c", "exchange", "party-a", "party-c", "exchange"]


def test_named_stacks_only(tmp_path: Path) -> None:
    runner = ProtocolRunner(PROJECT_DIR)
    outcome = drive(runner.federation, runner, "up", ["party-a", "exchange"])
    assert outcome.ok and outcome.order == ["exchange", "party-a"]
    assert set(ups(runner)) == {"exchange", "party-a"}
    assert runner.prepared == ["exchange", "party-a"]
    assert runner.outputs["party-a"] == {"csr": True, "joined": True}


def test_preview_once_each_and_destroy_in_reverse() -> None:
    runner = ProtocolRunner(PROJECT_DIR)
    assert drive(runner.federation, runner, "preview").ok
    assert runner.calls == [(s, "preview") for s in ("exchange", "party-a", "party-b", "local")]
    runner.calls.clear()
    assert drive(runner.federation, runner, "destroy").ok
    assert runner.calls == [(s, "destroy") for s in ("local", "party-b", "party-a", "exchange")]


# --- failures --------------------------------------------------------------------------------------

def test_stops_at_the_first_failure_and_runs_nothing_after() -> None:
    runner = ProtocolRunner(PROJECT_DIR, fail={("party-a", "up", 2): "error: secrets.Secret pulsar-cert: forbidden"})
    outcome = drive(runner.federation, runner, "up")
    assert not outcome.ok
    assert (outcome.failure.stack, outcome.failure.action, outcome.failure.round) == ("party-a", "up", 2)
    assert runner.calls[-1] == ("party-a", "up") and ups(runner)[-2:] == ["exchange", "party-a"]
    assert "party-b" not in ups(runner)[4:]
    message = describe_failure(outcome)
    assert message.startswith("stack party-a, step up (round 2): error: secrets.Secret pulsar-cert: forbidden")
    assert "completed before it: exchange (up, round 1)" in message and "run the same command again" in message


def test_a_failed_preview_applies_nothing() -> None:
    runner = ProtocolRunner(PROJECT_DIR, fail={("party-b", "preview", 1): "error: invalid stack config"})
    outcome = drive(runner.federation, runner, "up")
    assert not outcome.ok and ups(runner) == []
    assert runner.calls == [("exchange", "preview"), ("party-a", "preview"), ("party-b", "preview")]
    message = describe_failure(outcome)
    assert message.startswith("stack party-b, step preview: error: invalid stack config")
    assert message.endswith("nothing was applied")


def test_a_failed_first_up_does_not_claim_that_nothing_was_applied() -> None:
    """The failed step itself may have created objects (a workload that never became ready)."""
    runner = ProtocolRunner(PROJECT_DIR, fail={("exchange", "up", 1): "error: 'nginx' timed out waiting to be Ready"})
    outcome = drive(runner.federation, runner, "up")
    message = describe_failure(outcome)
    assert message.startswith("stack exchange, step up (round 1): error: 'nginx' timed out")
    assert message.endswith("nothing completed before it, but the failed up of exchange may have applied part of "
                            "its changes (they are in its state); fix the cause and run the same command again "
                            "(it converges)")


def test_an_unreachable_backend_runs_no_step() -> None:
    runner = ProtocolRunner(PROJECT_DIR, unreachable="cannot reach the backend (s3://nowhere): no such bucket")
    outcome = drive(runner.federation, runner, "up")
    assert not outcome.ok and runner.calls == []
    assert describe_failure(outcome) == ("before any step (up): cannot reach the backend (s3://nowhere): "
                                         "no such bucket\nnothing was applied")


def test_a_federation_that_never_settles_fails_after_max_rounds() -> None:
    class Restless(ProtocolRunner):
        def _next(self, stack: str) -> dict[str, Any]:
            return {"runs": sum(1 for call in self.calls if call == (stack, "up"))}

    runner = Restless(PROJECT_DIR)
    outcome = drive(runner.federation, runner, "up", max_rounds=4)
    assert not outcome.ok and outcome.rounds == 4
    assert "did not settle in 4 rounds" in outcome.failure.error
    assert outcome.failure.stack == "exchange"  # its parties changed again in round 4


# --- bad stack files ------------------------------------------------------------------------------

def test_no_stacks(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no stack files \(Pulumi.<stack>.yaml\) in .*: create one per stack"):
        read_federation(write_project(tmp_path, {}))


def test_unknown_stack_name() -> None:
    federation = read_federation(PROJECT_DIR)
    with pytest.raises(PlanError, match="no stack file for party-z: the stacks here are exchange, local, party-a, party-b"):
        bootstrap_order(federation, ["party-z"])


def test_cycle(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"party-a": party(9999, "party-b"), "party-b": party(10000, "party-a")})
    with pytest.raises(PlanError, match="cycle: party-a reads party-b reads party-a"):
        read_federation(project)


def test_cycle_between_exchanges(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"east": exchange("west"), "west": exchange("east")})
    with pytest.raises(PlanError, match="cycle: east reads west reads east"):
        read_federation(project)


def test_missing_exchange(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"party-a": party(9999, "exchnage")})
    with pytest.raises(PlanError) as error:
        read_federation(project)
    assert (f"stack party-a: {NS}:exchange.stack is organization/{NS}/exchnage, which has no stack file here "
            "(the stacks are party-a)") in str(error.value)


def test_exchange_lists_a_stack_that_is_not_here_or_not_a_party(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"exchange": exchange("party-a", "party-q", "local"), "party-a": party(9999),
                                       "local": {"role": "local", "local": {"parties": [{"partyId": 9999}, {"partyId": 10000}]}}})
    with pytest.raises(PlanError) as error:
        read_federation(project)
    assert f"{NS}:exchange.parties lists organization/{NS}/party-q, which has no stack file here" in str(error.value)
    assert f"{NS}:exchange.parties lists local, a local stack: list party stacks only" in str(error.value)


def test_party_listed_by_one_exchange_reading_another(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"east": exchange("party-a"), "west": exchange(), "party-a": party(9999, "west")})
    with pytest.raises(PlanError, match="stack east lists party-a, but party-a reads west: a party joins one exchange"):
        read_federation(project)


def test_party_not_listed_yet_is_a_note(tmp_path: Path) -> None:
    federation = read_federation(write_project(tmp_path, {"exchange": exchange(), "party-a": party(9999)}))
    assert federation.notes == (f"party-a reads exchange, which does not list it yet: it will stay "
                                f"awaiting-certificate until it is added under {NS}:exchange.parties in "
                                "Pulumi.exchange.yaml",)


def test_invalid_config_names_the_key(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"exchange": exchange(), "party-a": party(0)})
    with pytest.raises(PlanError, match=rf"stack party-a \(Pulumi.party-a.yaml\): invalid stack config:\n  {NS}:party.partyId"):
        read_federation(project)


# --- the CLI ---------------------------------------------------------------------------------------

def test_cli_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--project", str(write_project(tmp_path, {}))]) == 1
    assert capsys.readouterr().err.startswith("error: no stack files (Pulumi.<stack>.yaml)")
    assert main(["preview", "party-z", "--project", str(PROJECT_DIR)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no stack file for party-z") and "Traceback" not in err
    assert main(["destroy", "--project", str(PROJECT_DIR)]) == 1
    assert "run it again with --yes" in capsys.readouterr().err


def test_cli_without_the_pulumi_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `pulumi` anywhere on it
    assert main(["preview", "--project", str(PROJECT_DIR)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: before any step (preview): the `pulumi` CLI is not on PATH")
    assert err.rstrip().endswith("nothing was applied")


def test_engine_message_keeps_the_engine_errors() -> None:
    text = ("\n code: 255\n stdout: Previewing update (party-a):\n  pulumi:pulumi:Stack fate-federation-party-a  "
            "error: invalid stack config:\n\nDiagnostics:\n  pulumi:pulumi:Stack (fate-federation-party-a):\n"
            "    error: invalid stack config:\n      fate-federation:party.partyId: out of range\n"
            "\n stderr: error: preview failed\n")
    assert engine_message(text) == ("error: invalid stack config:\n  fate-federation:party.partyId: out of range\n"
                                   "error: preview failed")
    assert engine_message("\n code: 1\n stdout: \n stderr: no credentials\n") == "no credentials"


def test_change_summary() -> None:
    assert summarize_changes({"same": 9, "create": 3, "update": 1, "delete": 0}) == "+3 ~1 =9"
