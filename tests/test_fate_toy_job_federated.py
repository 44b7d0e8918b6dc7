"""FATE's toy job between two REAL FATE Flow 2.2 servers, guest 9999 and host 10000, whose federation is real
Pulsar 2.10.2 brokers replicating through the real exchange (Traffic Server, SNI routing by name).

Each party's FATE Flow serves that party's RENDERED service_conf.yaml and Pulsar route table; each broker its
rendered standalone.conf and certificates; the exchange its rendered Traffic Server configuration. What is
rewritten, and why (tests/support/federated_fate.py): addresses, ports and folders (loopback); MySQL -> sqlite,
Spark computing and HDFS storage -> standalone, since none of them runs here (FATE Flow 2.2 pairs standalone
computing with Pulsar federation). FATE Flow and FATE are the PyPI packages in the cached venv
(scripts/fateflow-venv.sh), unpatched: FATE's container images cannot run here. The coordination calls between
the FATE Flows cross three real nginx processes (ours, with our lua standing in for FATE's).
The only doubles are the Pulumi engine and the Kubernetes API of the offline render.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.fateconf.fate_dag import toy_example_dag
from components.fateflow_client import FateFlowApi
from tests.support.federated_fate import GUEST, HOST, FederatedParties, federated_parties, wait_for_end

JOB_TIMEOUT_S = 300
TOY_DATA_NUM = 1024


@pytest.fixture(scope="module")
def federation() -> Iterator[FederatedParties]:
    with federated_parties() as parties:
        yield parties


def failure_report(federation: FederatedParties, job_id: str) -> str:
    """Each party's tasks with FATE's error report, for a job that did not succeed."""
    lines = []
    for party, flow in federation.flows.items():
        with FateFlowApi(flow.url) as api:
            for task in api.task_rows(job_id):
                lines.append(f"{party} {task.get('task_name')} {task.get('status')}: {task.get('error_report')}")
    return "\n".join(lines)


def toy_output(flow: Any, job_id: str, role: str, party: int) -> dict[str, Any]:
    answer = flow.request("GET", "/v2/output/model/query", params={
        "job_id": job_id, "role": role, "party_id": str(party), "task_name": "toy_example_0"})
    assert answer["code"] == 0, answer
    return answer["data"]


def test_toy_job_succeeds_on_both_fate_flows_with_messages_through_the_exchange(federation: FederatedParties) -> None:
    """Submitted to the guest's FATE Flow only: the host's FATE Flow runs its side, the guest's index crosses
    9999 -> 10000 and the host's index 10000 -> 9999 as Pulsar replication through the exchange (each
    replicator tunnelled by the peer's federation name), and both parties read `success`."""
    guest, host = federation.flows[GUEST], federation.flows[HOST]
    tunnels_before = federation.exchange_tunnels()
    with FateFlowApi(guest.url) as api:
        job_id, _ = api.submit({"dag": toy_example_dag(GUEST, HOST, data_num=TOY_DATA_NUM)})
    statuses = {GUEST: wait_for_end(guest, job_id, JOB_TIMEOUT_S), HOST: wait_for_end(host, job_id, JOB_TIMEOUT_S)}
    assert statuses == {GUEST: "success", HOST: "success"}, failure_report(federation, job_id)

    # Each party's FATE Flow knows only its own side of the job.
    assert {(r["role"], r["party_id"]) for r in host.request("GET", "/v2/job/query", params={"job_id": job_id})["data"]} \
        == {("host", str(HOST))}
    # The toy component's own output, written on each party.
    assert toy_output(guest, job_id, "guest", GUEST)["json_model_output"] == {"test_role": "guest"}
    assert toy_output(host, job_id, "host", HOST)["json_model_output"] == {"test_role": "host"}

    # The messages crossed the exchange: its Traffic Server opened tunnels, and each broker's replicator for
    # this job's topics connected through the exchange's port to the peer's federation name.
    assert federation.exchange_tunnels() > tunnels_before
    assert federation.replicated_through_exchange(GUEST, HOST, job_id), federation.brokers[GUEST].logs()
    assert federation.replicated_through_exchange(HOST, GUEST, job_id), federation.brokers[HOST].logs()
