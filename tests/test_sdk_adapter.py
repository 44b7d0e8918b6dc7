"""fedctl/sdk_adapter.py is the one user of the Pulumi SDK's non-public parts; these tests say at once,
naming the SDK version, when an SDK upgrade takes one away, instead of every render test failing.

Test double: the Pulumi engine (fedctl.mocks, through the SDK's public pulumi.runtime.Mocks API)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random
import pytest
from pulumi.runtime import rpc

from fedctl import sdk_adapter
from fedctl.wire import is_secret
from tests.support.pulumi_harness import run_component


def test_the_installed_sdk_has_every_internal_the_adapter_uses() -> None:
    problems = sdk_adapter.check_sdk()
    assert not problems, (
        f"pulumi {sdk_adapter.sdk_version()} changed under fedctl/sdk_adapter.py (written for "
        f"{sdk_adapter.WRITTEN_FOR}): {', '.join(problems)} missing. Adapt fedctl/sdk_adapter.py (only it) "
        "to the new SDK, or pin pulumi back in requirements.txt.")


def test_the_check_names_what_went_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(rpc, "_special_sig_key")
    monkeypatch.delattr(pulumi.runtime.mocks.MockMonitor, "ReadResource")
    problems = sdk_adapter.check_sdk()
    assert "pulumi.runtime.rpc._special_sig_key" in problems
    assert "MockMonitor.ReadResource" in problems


def test_a_run_reports_urns_secret_outputs_retention_and_dependencies() -> None:
    """What only the adapter's monitor knows reaches the run: each resource's URN, the outputs the
    program declares secret, retain_on_delete, the dependencies, and the stack's outputs."""

    def program() -> dict[str, Any]:
        first = random.RandomString("first", length=8, special=False,
                                    opts=pulumi.ResourceOptions(retain_on_delete=True))
        second = random.RandomPassword("second", length=12, special=False,
                                       opts=pulumi.ResourceOptions(depends_on=[first],
                                                                   additional_secret_outputs=["result"]))
        return {"plain": first.result, "hidden": second.result}

    run = run_component(program, stack="adapter")
    first, second = (next(r for r in run.resources if r.name == name) for name in ("first", "second"))
    assert first.urn == (  # the parent type chain, as the engine builds it
        "urn:pulumi:adapter::fate-federation::pulumi:pulumi:Stack$random:index/randomString:RandomString::first")
    assert first.retain_on_delete and not second.retain_on_delete
    assert second.dependencies == (first.urn,)
    assert is_secret(second.outputs["result"]) and not is_secret(first.outputs["result"])
    assert run.secret_outputs == {"hidden"}
    assert len(run.outputs["plain"]) == 8 and len(run.outputs["hidden"]) == 12


def test_runs_follow_each_other_in_one_process_after_a_failure() -> None:
    """The adapter resets the SDK's per-process state: a run whose registration failed (leaving the SDK's
    futures for it unread) does not spoil the next one."""

    def failing() -> dict[str, Any]:
        return {"value": random.RandomString("broken", length=0).result}

    with pytest.raises(Exception, match="random: length 0 is below 1"):
        run_component(failing)
    again = run_component(lambda: {"value": random.RandomString("ok", length=4, special=False).result})
    assert len(again.outputs["value"]) == 4
