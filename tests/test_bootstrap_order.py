"""The federation bootstraps in any order: every order of `pulumi up` converges to every party joined.

Each stack's real program runs under the offline render's engine emulation (tests/support/pulumi_harness),
its StackReferences answered with the other stacks' latest outputs, in rounds of a given order until no
stack's outputs change (as `fedctl` or a person running `pulumi up` would). The party stacks are the
repository's party-a (LoadBalancer) and party-b (NodePort); the exchange is the repository's exchange.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from fedctl.records import EngineState
from tests.support.pulumi_harness import run_program, shipped_config, stack_ref

MAX_ROUNDS = 6


def bootstrap(order: list[str], configs: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run the stacks in `order`, round after round, until a whole round changes no outputs."""
    outputs: dict[str, dict[str, Any]] = {}
    secret_names: dict[str, list[str]] = {}
    state = EngineState()
    for _ in range(MAX_ROUNDS):
        changed = False
        for stack in order:
            config = (configs or {}).get(stack) or shipped_config(stack)
            run = run_program(stack, config, stack_outputs=outputs, secret_output_names=secret_names, state=state)
            ref = stack_ref(stack)
            changed |= outputs.get(ref) != run.outputs
            outputs[ref] = run.outputs
            secret_names[ref] = sorted(run.secret_outputs)
        if not changed:
            return {stack: outputs[stack_ref(stack)] for stack in order}
    raise AssertionError(f"order {order} did not converge in {MAX_ROUNDS} rounds")


def assert_joined(outputs: dict[str, Any], parties: Mapping[str, int]) -> None:
    members = outputs["exchange"]["parties"]
    for stack, party_id in parties.items():
        assert outputs[stack]["joinStatus"] == "joined", (stack, outputs[stack].get("exchange"))
        assert members[str(party_id)]["status"] == "routed"
        assert members[str(party_id)]["routes"]["sni"]["fqdn"] == f"{party_id}.fate.example.org"


ORDERS = {
    "exchange-first": ["exchange", "party-a", "party-b"],
    "parties-first": ["party-a", "party-b", "exchange"],
    "interleaved": ["party-a", "exchange", "party-b"],
}


@pytest.mark.parametrize("order", list(ORDERS), ids=list(ORDERS))
def test_every_order_converges_to_every_party_joined(order: str) -> None:
    outputs = bootstrap(ORDERS[order])
    assert_joined(outputs, {"party-a": 9999, "party-b": 10000})
    for stack in ("party-a", "party-b"):
        assert outputs["exchange"]["parties"][str(outputs[stack]["partyId"])]["certificatePem"]


def test_a_party_with_its_own_pki_is_routed_and_never_signed() -> None:
    """party.pki.existingSecret: the party exports `pki: own` and no CSR; the exchange routes it by SNI (the
    tunnel is blind, the party's own certificate answers) and signs nothing for it."""
    config = shipped_config("party-a")
    config["fate-federation:party"] = {**config["fate-federation:party"], "pki": {"existingSecret": "our-broker"}}
    for order in (["party-a", "party-b", "exchange"], ["exchange", "party-a", "party-b"]):
        outputs = bootstrap(order, {"party-a": config})
        assert outputs["party-a"]["pki"] == "own" and outputs["party-a"].get("csrPem") is None
        member = outputs["exchange"]["parties"]["9999"]
        assert member["status"] == "routed" and member.get("certificatePem") is None and member["pki"] == "own"
        assert outputs["party-a"]["joinStatus"] == "joined"
        assert_joined({**outputs, "party-a": outputs["party-a"]}, {"party-b": 10000})


def test_a_static_exchange_certificate_for_another_key_is_refused_with_the_key_to_fix() -> None:
    """A static exchange (not a stack): a certificate not issued for this party's key must not be installed
    (Pulsar would switch to TLS with it); the message names the key and the fix, not an exchange stack."""
    signed = bootstrap(["exchange", "party-a", "party-b"])
    exchange = signed["exchange"]
    foreign = exchange["parties"]["10000"]["certificatePem"]  # issued for party-b's key
    config = copy.deepcopy(shipped_config("party-a"))
    config["fate-federation:exchange"] = {"static": {
        "domain": "fate.example.org",
        "trafficServer": {"host": "192.0.2.80", "port": 443},
        "nginx": {"host": "192.0.2.81", "httpPort": 9300, "grpcPort": 9310},
        "caCertPem": exchange["caCertPem"], "certificatePem": foreign}}
    with pytest.raises(Exception) as error:
        run_program("party-a", config)
    message = str(error.value)
    assert "fate-federation:exchange.static.certificatePem" in message and "csrPem" in message
    assert "pulumi up -s exchange" not in message and "exchange stack" not in message
