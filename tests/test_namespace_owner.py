"""stacks/namespaces.py's pure part: which existing namespace a stack may take, and the message when it may
not (the whole against a real API server: tests/test_cluster_faults.py). Also: the offline render (the SDK's
mocks, no cluster) never reads a cluster for it."""

from __future__ import annotations

from typing import Any

import pytest

import stacks.namespaces
import stacks.node_ports
from facts.labels import namespace_labels
from specs.common import KubernetesConfig
from specs.party import PartyConfig
from stacks.namespaces import WantedNamespace, owner_problem, party_namespaces
from tests.support.pulumi_harness import run_program, shipped_config

PARTY = "fate-federation:party"

WANTED = WantedNamespace("fate-9999", "party-9999", "fate-federation:party.namespace")


def live(labels: dict[str, str] | None) -> dict[str, Any]:
    return {"metadata": {"name": "fate-9999", **({"labels": labels} if labels is not None else {})}}


def test_an_absent_namespace_and_our_own_are_taken() -> None:
    assert owner_problem(WANTED, None, "context party-a") is None
    # the stack's own on a later run, or the retained namespace the same party comes back to
    assert owner_problem(WANTED, live(namespace_labels("party-9999")), "context party-a") is None


def test_a_namespace_someone_else_made_is_refused_naming_the_key_and_both_fixes() -> None:
    problem = owner_problem(WANTED, live({"team": "analytics"}), "context party-a")
    assert problem == (
        "fate-federation:party.namespace: the namespace fate-9999 already exists in context party-a and it was not "
        "created by this program (app.kubernetes.io/part-of=<none>, app.kubernetes.io/instance=<none>); nothing "
        "was changed. Choose a namespace that does not exist (`pulumi config set --path party.namespace <name>`), "
        "or, if fate-9999 is meant for party-9999, mark it as such first: `kubectl label namespace fate-9999 "
        "app.kubernetes.io/part-of=fate-federation app.kubernetes.io/instance=party-9999`")
    assert owner_problem(WANTED, live(None), "context party-a") is not None


def test_another_party_s_namespace_is_refused_naming_its_owner() -> None:
    problem = owner_problem(WANTED, live(namespace_labels("party-10000")), "the current context")
    assert problem is not None
    assert "already exists in the current context and it belongs to party-10000 of this project" in problem


def test_a_party_creates_its_namespace_and_kubefate_s() -> None:
    party = PartyConfig.model_validate({"partyId": 9999, "kubefate": {"enabled": True}})
    assert party_namespaces(party) == [
        WANTED, WantedNamespace("kube-fate", "kubefate", "fate-federation:party.kubefate.namespace")]
    assert [n.key for n in party_namespaces(party, "local.parties[1]")] == [
        "fate-federation:local.parties[1].namespace", "fate-federation:local.parties[1].kubefate.namespace"]


def test_under_the_sdk_s_mocks_no_cluster_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline render runs the real program under the SDK's mocks: the party-b stack (a context named,
    nodePorts fixed) runs without any read of a cluster; with an engine, the same check reads."""
    def no_cluster(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cluster was read under the mocks")

    monkeypatch.setattr(stacks.namespaces, "core_api", no_cluster)
    monkeypatch.setattr(stacks.node_ports, "core_api", no_cluster)
    config = shipped_config("party-b")
    config[PARTY] = {**config[PARTY], "exposure": {**config[PARTY]["exposure"], "nodePorts": {"nginxHttp": 30300}}}
    run = run_program("party-b", config)
    assert run.k8s_objects("Namespace")
    monkeypatch.setattr(stacks.namespaces, "engine_is_mocked", lambda: False)  # as under the real engine
    with pytest.raises(AssertionError, match="a cluster was read"):
        stacks.namespaces.refuse_foreign_namespaces([WANTED], KubernetesConfig(context="party-b"))
