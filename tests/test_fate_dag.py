"""FATE job definitions: DAG parsing and validation, the toy jobs (2.x and 1.x), DAG files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.fateconf.fate_dag import (
    DagError,
    canonical_dag,
    dag_parties,
    initiator_party_id,
    load_dag_file,
    parse_dag,
    toy_example_dag,
    toy_example_v1,
    validate_dag,
    validate_v1_job,
)

REPO = Path(__file__).resolve().parents[1]


def lr_dag() -> dict[str, Any]:
    """A three-task DAG in the shape fate_client.pipeline writes (reader -> psi -> lr, per-party settings)."""
    parties = [{"role": "guest", "party_id": ["9999"]}, {"role": "host", "party_id": ["10000"]},
               {"role": "arbiter", "party_id": ["9999"]}]
    reader_output = {"task_output_artifact": {"producer_task": "reader_0", "output_artifact_key": "output_data"}}
    return {
        "schema_version": "2.0.0",
        "dag": {
            "parties": parties,
            "conf": {"scheduler_party_id": "9999", "task": {"timeout": 600}},
            "stage": "train",
            "tasks": {
                "reader_0": {"component_ref": "reader", "parties": parties[:2]},
                "psi_0": {"component_ref": "psi", "dependent_tasks": ["reader_0"],
                          "inputs": {"data": {"input_data": reader_output}}},
                "lr_0": {"component_ref": "coordinated_lr", "dependent_tasks": ["psi_0"],
                         "parameters": {"max_iter": 3},
                         "inputs": {"data": {"train_data": {"task_output_artifact": [
                             {"producer_task": "psi_0", "output_artifact_key": "output_data"}]}}}},
            },
            "party_tasks": {"guest_9999": {"parties": [parties[0]],
                                           "tasks": {"reader_0": {"parameters": {"name": "breast"}}}}},
        },
    }


def paths(dag: Any) -> dict[str, str]:
    return {where: why for where, why in validate_dag(dag)}


# --- parsing -----------------------------------------------------------------------------------------


def test_a_dag_reads_the_same_as_mapping_yaml_json_and_submit_body() -> None:
    toy = toy_example_dag(9999, 10000)
    as_json = json.dumps(toy)
    as_yaml = ("schema_version: 2.0.0.alpha\ndag:\n  stage: default\n  parties:\n"
               "  - {role: guest, party_id: ['9999']}\n  - {role: host, party_id: ['10000']}\n"
               "  tasks:\n    toy_example_0:\n      component_ref: toy_example\n"
               "      parameters: {partition: 4, data_num: 1024}\n")
    assert parse_dag(as_json) == toy and parse_dag(as_yaml) == toy and parse_dag({"dag_schema": toy}) == toy
    assert canonical_dag(as_yaml) == canonical_dag(toy) == canonical_dag({"dag_schema": toy})
    assert canonical_dag(toy_example_dag(9999, 10000, data_num=10)) != canonical_dag(toy)


@pytest.mark.parametrize("text, reason", [
    ("dag: [unclosed", "not valid YAML"),
    ("- just\n- a list\n", "must be a mapping"),
    ("", "must be a mapping"),
])
def test_unreadable_dags_say_why(text: str, reason: str) -> None:
    with pytest.raises(DagError, match=reason):
        parse_dag(text)
    assert reason in paths(text)[""]


# --- validation --------------------------------------------------------------------------------------


def test_the_toy_and_a_multi_task_dag_are_valid() -> None:
    assert validate_dag(toy_example_dag(9999, 10000)) == []
    assert validate_dag(lr_dag()) == []


def test_the_toy_dag_is_what_fate_flow_2_2_ran() -> None:
    """scripts/fateflow/toy_job.json is the body the FATE Flow research submitted to a real 2.2.0."""
    recorded = json.loads((REPO / "scripts" / "fateflow" / "toy_job.json").read_text())
    assert toy_example_dag(9999, 10000) == recorded["dag_schema"]


def mutate(change: Any) -> dict[str, Any]:
    dag = lr_dag()
    change(dag["dag"])
    return dag


@pytest.mark.parametrize("change, where, reason", [
    (lambda d: d.pop("parties"), "dag.parties", "list the parties"),
    (lambda d: d["parties"].append("guest"), "dag.parties[3]", "a mapping with `role` and `party_id`"),
    (lambda d: d["parties"][1].update(role="server"), "dag.parties[1].role", "'server' is not a FATE role"),
    (lambda d: d["parties"][1].update(party_id=[]), "dag.parties[1].party_id", "a list of party ids"),
    (lambda d: d["parties"][1].update(party_id=[10000]), "dag.parties[1].party_id[0]",
     "write it as a string, '10000'"),
    (lambda d: d["parties"][1].update(party_id=["0"]), "dag.parties[1].party_id[0]", "out of FATE's range"),
    (lambda d: d["parties"][1].update(party_id=["ten"]), "dag.parties[1].party_id[0]", "not a party id"),
    (lambda d: d["parties"].append({"role": "host", "party_id": ["10000"]}), "dag.parties[3].party_id[0]",
     "host 10000 is listed twice"),
    (lambda d: d.update(parties=[{"role": "host", "party_id": ["10000"]}]), "dag.parties", "needs a guest"),
    (lambda d: d["parties"].append({"role": "local", "party_id": ["9999"]}), "dag.parties",
     "do not mix it with guest/host/arbiter"),
    (lambda d: d.update(stage="serve"), "dag.stage", "'serve' is not a stage"),
    (lambda d: d["conf"].update(scheduler_party_id="7"), "dag.conf.scheduler_party_id",
     "not one of the job's parties"),
    (lambda d: d.update(tasks={}), "dag.tasks", "list the tasks"),
    (lambda d: d["tasks"].update(bad="psi"), "dag.tasks.bad", "a mapping with `component_ref`"),
    (lambda d: d["tasks"]["lr_0"].pop("component_ref"), "dag.tasks.lr_0.component_ref", "missing"),
    (lambda d: d["tasks"]["lr_0"].update(dependent_tasks=["psi_9"]), "dag.tasks.lr_0.dependent_tasks",
     "depends on 'psi_9', which is not a task"),
    (lambda d: d["tasks"]["lr_0"].update(dependent_tasks=["lr_0"]), "dag.tasks.lr_0.dependent_tasks",
     "cannot depend on itself"),
    (lambda d: d["tasks"]["lr_0"].update(dependent_tasks="psi_0"), "dag.tasks.lr_0.dependent_tasks",
     "a list of task names"),
    (lambda d: d["tasks"]["lr_0"]["inputs"]["data"]["train_data"]["task_output_artifact"][0].update(
        producer_task="psi_1"), "dag.tasks.lr_0.inputs.data.train_data.task_output_artifact.producer_task",
     "reads from 'psi_1', which is not a task"),
    (lambda d: d["tasks"]["lr_0"].update(parameters=[1]), "dag.tasks.lr_0.parameters", "a mapping"),
    (lambda d: d["tasks"]["lr_0"].update(stage="x"), "dag.tasks.lr_0.stage", "not a stage"),
    (lambda d: d["tasks"]["reader_0"]["parties"].append({"role": "host", "party_id": ["777"]}),
     "dag.tasks.reader_0.parties[2].party_id[0]", "host 777 is not one of the job's parties"),
    (lambda d: d["party_tasks"]["guest_9999"]["tasks"].update(nope={}), "dag.party_tasks.guest_9999.tasks.nope",
     "'nope' is not a task"),
    (lambda d: d["party_tasks"]["guest_9999"].update(parties=[{"role": "guest", "party_id": ["1"]}]),
     "dag.party_tasks.guest_9999.parties[0].party_id[0]", "guest 1 is not one of the job's parties"),
    (lambda d: d["tasks"]["reader_0"].update(dependent_tasks=["lr_0"]), "dag.tasks",
     "dependency cycle of 3 tasks: reader_0 -> lr_0 -> psi_0 -> reader_0"),
])
def test_each_problem_names_its_place_in_the_dag(change: Any, where: str, reason: str) -> None:
    found = paths(mutate(change))
    assert where in found, found
    assert reason in found[where]


def test_schema_version_and_body_are_required() -> None:
    assert "schema_version" in paths({"dag": lr_dag()["dag"]})
    assert paths({"schema_version": "2.0.0"}) == {"dag": "missing: the job's parties, stage and tasks go under `dag`"}


def test_parties_and_initiator() -> None:
    assert dag_parties(lr_dag()) == {"guest": [9999], "host": [10000], "arbiter": [9999]}
    assert initiator_party_id(toy_example_dag(10000, 9999)) == 10000
    moved = mutate(lambda d: d["conf"].update(scheduler_party_id="10000"))
    assert initiator_party_id(moved) == 10000


def test_toy_dag_refuses_bad_party_ids() -> None:
    with pytest.raises(ValueError, match="out of FATE's range"):
        toy_example_dag(0, 10000)


# --- FATE 1.x ----------------------------------------------------------------------------------------


def test_v1_toy_job_has_the_shape_flow_test_toy_posts() -> None:
    dsl, conf = toy_example_v1(9999, 10000)
    assert dsl == {"components": {"secure_add_example_0": {"module": "SecureAddExample"}}}
    assert conf["initiator"] == {"role": "guest", "party_id": 9999}
    assert conf["role"] == {"guest": [9999], "host": [10000]}
    assert conf["component_parameters"]["common"]["secure_add_example_0"] == {"partition": 4, "data_num": 1000}
    assert validate_v1_job(dsl, conf) == []
    assert validate_v1_job(json.dumps(dsl), json.dumps(conf)) == []


def test_v1_problems_name_the_input() -> None:
    dsl, conf = toy_example_v1(9999, 10000)
    assert validate_v1_job({"components": {"a": {}}}, conf) == [
        ("dsl", "components.a.module", "missing: the FATE 1.x module it runs")]
    broken = {**conf, "initiator": {"role": "guest", "party_id": 1}, "role": {"guest": [9999], "boss": ["x"]}}
    found = {(key, where) for key, where, _ in validate_v1_job(dsl, broken)}
    assert found == {("runtime_conf", "role.boss"), ("runtime_conf", "role.boss[0]"), ("runtime_conf", "initiator")}
    assert validate_v1_job("[", conf)[0][:2] == ("dsl", "")


# --- files -------------------------------------------------------------------------------------------


def test_the_shipped_toy_dag_file_loads() -> None:
    assert load_dag_file(REPO / "jobs" / "toy.yaml") == toy_example_dag(9999, 10000)


def test_dag_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(DagError, match=f"cannot read the DAG file {missing}"):
        load_dag_file(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("dag: [unclosed")
    with pytest.raises(DagError, match=f"{broken}: the DAG is not valid YAML"):
        load_dag_file(broken)
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(mutate(lambda d: d["tasks"]["lr_0"].update(dependent_tasks=["x"]))))
    with pytest.raises(DagError, match=f"{invalid}: dag.tasks.lr_0.dependent_tasks: depends on 'x'"):
        load_dag_file(invalid)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DagError, match="not UTF-8"):
        load_dag_file(binary)
