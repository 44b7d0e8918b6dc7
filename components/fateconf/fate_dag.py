"""FATE job definitions (pure): parse and validate a FATE 2.x DAG, the toy jobs for 2.x and 1.x.

The FateJob provider validates here before anything is sent, so a malformed DAG is a CheckFailure on
the right property in `pulumi preview`, not a job that FATE Flow accepts and then fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from components.fateconf.settings import validate_party_id

ROLES = ("guest", "host", "arbiter", "local")
Problem = tuple[str, str]


def parse_dag(dag: dict[str, Any] | str) -> dict[str, Any]:
    """A DAG given as a dict or as YAML/JSON text, in the `{"dag": ..., "schema_version": ...}` shape.

    Also accepts the body `flow job submit` posts (`{"dag_schema": {...}}`).
    """
    if isinstance(dag, str):
        try:
            dag = yaml.safe_load(dag)
        except yaml.YAMLError as error:
            raise ValueError(f"the DAG is not valid YAML: {error}") from None
    if not isinstance(dag, dict):
        raise ValueError("the DAG must be a mapping with `dag` and `schema_version`")
    if "dag_schema" in dag and isinstance(dag["dag_schema"], dict):
        dag = dag["dag_schema"]
    return dag


def canonical(dag: dict[str, Any] | str) -> str:
    """The DAG's meaning as text: key order and YAML layout do not count (cosmetic changes)."""
    return json.dumps(parse_dag(dag), sort_keys=True, separators=(",", ":"))


def dag_problems(dag: dict[str, Any] | str) -> list[Problem]:
    """Everything wrong with a DAG, as (path inside the DAG, reason) pairs; [] when it can be submitted."""
    try:
        schema = parse_dag(dag)
    except ValueError as error:
        return [("", str(error))]
    problems: list[Problem] = []
    if not schema.get("schema_version"):
        problems.append(("schema_version", "missing: FATE 2.x DAGs say e.g. schema_version: 2.0.0"))
    body = schema.get("dag")
    if not isinstance(body, dict):
        return problems + [("dag", "missing: the job's parties, stage and tasks go under `dag`")]
    parties = body.get("parties")
    seen_roles: set[str] = set()
    if not isinstance(parties, list) or not parties:
        problems.append(("dag.parties", "list the parties, e.g. [{role: guest, party_id: ['9999']}]"))
        parties = []
    for index, party in enumerate(parties):
        where = f"dag.parties[{index}]"
        if not isinstance(party, dict):
            problems.append((where, "each party is a mapping with `role` and `party_id`"))
            continue
        role = party.get("role")
        if role not in ROLES:
            problems.append((f"{where}.role", f"{role!r} is not a FATE role: one of {', '.join(ROLES)}"))
        else:
            seen_roles.add(role)
        ids = party.get("party_id")
        if not isinstance(ids, list) or not ids:
            problems.append((f"{where}.party_id", "a list of party ids, e.g. ['9999']"))
            continue
        for id_index, party_id in enumerate(ids):
            try:
                validate_party_id(party_id)
            except ValueError as error:
                problems.append((f"{where}.party_id[{id_index}]", str(error)))
    if parties and "guest" not in seen_roles and "local" not in seen_roles:
        problems.append(("dag.parties", "a job needs a guest (or a local) party"))
    tasks = body.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        problems.append(("dag.tasks", "list the tasks, e.g. {toy_example_0: {component_ref: toy_example}}"))
        tasks = {}
    for name, task in tasks.items():
        where = f"dag.tasks.{name}"
        if not isinstance(task, dict):
            problems.append((where, "each task is a mapping with `component_ref`"))
            continue
        if not task.get("component_ref"):
            problems.append((f"{where}.component_ref", "missing: the FATE component this task runs"))
        for dependency in task.get("dependent_tasks") or []:
            if dependency not in tasks:
                problems.append((f"{where}.dependent_tasks", f"depends on {dependency!r}, which is not a task here"))
            elif dependency == name:
                problems.append((f"{where}.dependent_tasks", "a task cannot depend on itself"))
    problems += _cycles(tasks)
    return problems


def _cycles(tasks: dict[str, Any]) -> list[Problem]:
    graph = {name: [d for d in (task.get("dependent_tasks") or []) if d in tasks and d != name]
             for name, task in tasks.items() if isinstance(task, dict)}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path + [node, nxt]
            if state.get(nxt) is None:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            cycle = visit(node, [])
            if cycle:
                return [("dag.tasks", "dependency cycle: " + " -> ".join(cycle))]
    return []


def dag_parties(dag: dict[str, Any] | str) -> dict[str, list[int]]:
    """role -> party ids (for reporting and for telling which party a job belongs to)."""
    body = parse_dag(dag).get("dag") or {}
    result: dict[str, list[int]] = {}
    for party in body.get("parties") or []:
        result.setdefault(party["role"], []).extend(int(p) for p in party["party_id"])
    return result


def initiator(dag: dict[str, Any] | str) -> int:
    """The party that submits and schedules: the DAG's scheduler, else its first guest (or local)."""
    body = parse_dag(dag).get("dag") or {}
    scheduler = (body.get("conf") or {}).get("scheduler_party_id") or body.get("scheduler_party_id")
    if scheduler:
        return int(scheduler)
    parties = dag_parties(dag)
    return (parties.get("guest") or parties.get("local") or [0])[0]


def toy_example_dag(guest_party_id: int, host_party_id: int, *, data_num: int = 1024, partition: int = 4
                    ) -> dict[str, Any]:
    """FATE 2.x's toy job (what `flow test toy -gid G -hid H` submits): proof two parties can talk."""
    guest, host = validate_party_id(guest_party_id), validate_party_id(host_party_id)
    return {
        "dag": {
            "parties": [{"party_id": [str(guest)], "role": "guest"}, {"party_id": [str(host)], "role": "host"}],
            "stage": "default",
            "tasks": {"toy_example_0": {"component_ref": "toy_example",
                                        "parameters": {"data_num": data_num, "partition": partition}}},
        },
        "schema_version": "2.0.0.alpha",
    }


def toy_example_v1(guest_party_id: int, host_party_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """FATE 1.x's toy job: (dsl, runtime_conf) for POST /v1/job/submit."""
    guest, host = validate_party_id(guest_party_id), validate_party_id(host_party_id)
    dsl = {"components": {"secure_add_example_0": {"module": "SecureAddExample"}}}
    conf = {
        "dsl_version": 2,
        "initiator": {"role": "guest", "party_id": guest},
        "role": {"guest": [guest], "host": [host]},
        "job_parameters": {"common": {"task_cores": 2},
                           "role": {"guest": {"0": {"user": ""}}, "host": {"0": {"user": ""}}}},
        "component_parameters": {
            "role": {"guest": {"0": {"secure_add_example_0": {"seed": 123}}},
                     "host": {"secure_add_example_0": {"seed": 321}}},
            "common": {"secure_add_example_0": {"partition": 4, "data_num": 1000}},
        },
    }
    return dsl, conf


def load_dag_file(path: str | Path) -> dict[str, Any]:
    """A DAG from a YAML or JSON file; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read the DAG file {path}: {error.strerror}") from None
    try:
        dag = parse_dag(text)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    problems = dag_problems(dag)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(f"{where or 'DAG'}: {why}" for where, why in problems))
    return dag
