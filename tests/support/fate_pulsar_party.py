"""One FATE party's side of a federated push or pull, run by FATE 2.2's OWN Pulsar federation code.

Runs inside the FATE Flow venv (scripts/fateflow-venv.sh), with the Pulsar client beside the test broker on
PYTHONPATH. It does what FATE Flow and FATE do for a task: FATE Flow's parser turns service_conf's
`federation.pulsar` and the Pulsar route table into FATE Flow's PulsarFederationSpec (fate_flow/controller/
parser.py); the task loads that spec into FATE's (fate.components.core.spec) and builds the federation with
fate.components.core._load_federation; then `push_bytes` or `pull_bytes`. Prints the result as JSON
on a line marked RESULT.

Usage: python fate_pulsar_party.py SPEC_JSON, where SPEC_JSON holds service_conf (path), route_table (path),
session, local [role, party_id], peer [role, party_id], action (push|pull), name, tag, value (push).
"""

from __future__ import annotations

import json
import sys

import yaml

RESULT = "fate-party-result: "
"""Marks the result line (the Pulsar client logs to stdout too)."""


def federation_spec(service_conf: dict, route_table: dict, session: str, local: list, peer: list) -> dict:
    """FATE Flow 2.2's parser, step for step (fate_flow/controller/parser.py, engine `pulsar`)."""
    from fate_flow.entity.spec.dag import PulsarFederationSpec

    proxy_conf = dict(service_conf["federation"]["pulsar"])
    parties = {"local": {"role": local[0], "partyid": str(local[1])},
               "parties": [{"role": local[0], "partyid": str(local[1])}, {"role": peer[0], "partyid": str(peer[1])}]}
    spec = PulsarFederationSpec(type="pulsar", metadata=PulsarFederationSpec.MetadataSpec(
        federation_id=session,
        parties=parties,
        route_table=PulsarFederationSpec.MetadataSpec.RouteTable(
            route={k: PulsarFederationSpec.MetadataSpec.RouteTable.Route(**v) for k, v in route_table.items()
                   if k != "default"},
            default=PulsarFederationSpec.MetadataSpec.RouteTable.Default(**route_table.get("default", {}))
            if route_table.get("default") else None),
        pulsar_config=PulsarFederationSpec.MetadataSpec.PulsarConfig(**proxy_conf),
    ))
    return json.loads(spec.json())


def main() -> None:
    args = json.loads(sys.argv[1])
    with open(args["service_conf"]) as handle:
        service_conf = yaml.safe_load(handle)
    with open(args["route_table"]) as handle:
        route_table = yaml.safe_load(handle)
    from fate.components.core._load_federation import load_federation
    from fate.components.core.spec.federation import PulsarFederationSpec

    spec = PulsarFederationSpec.parse_obj(
        federation_spec(service_conf, route_table, args["session"], args["local"], args["peer"]))
    federation = load_federation(spec, None)
    peer = (args["peer"][0], str(args["peer"][1]))
    if args["action"] == "push":
        federation.push_bytes(args["value"].encode(), args["name"], args["tag"], [peer])
        print(RESULT + json.dumps({"pushed": True}))
    else:
        received = federation.pull_bytes(args["name"], args["tag"], [peer])
        print(RESULT + json.dumps({"received": [value.decode() for value in received]}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
