"""FATE job definitions (pure): parse and validate a FATE 2.x DAG, the toy jobs for FATE 2.x and 1.x.

The FateJob provider validates here before anything is sent, so a malformed DAG is a CheckFailure on the
right property in `pulumi preview`, not a job FATE Flow accepts and then fails (or a code 6000
AttributeError for a DAG without parties). The shapes follow FATE Flow 2.2's own DAG spec
(fate_flow/entity/spec/dag: DAGSchema, DAGSpec, TaskSpec, PartySpec, RuntimeInputArtifacts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specs.user_yaml import UserYamlError, load_user_yaml
from specs.values import validate_party_id

ROLES = ("guest", "host", "arbiter", "local")
STAGES = ("train", "predict", "default", "cross_validation")
MAX_CYCLE_SHOWN = 12
"""A longer dependency cycle is shown by its first and last tasks."""
TASK_OUTPUT_CHANNEL = "task_output_artifact"
"""The input channel that reads another task of the same job (the warehouse channels read other jobs)."""

Problem = tuple[str, str]
"""(path inside the DAG, e.g. `dag.parties[0].party_id[0]`, reason with the fix)."""


class DagError(ValueError):
    """A DAG that cannot be read at all (not YAML, not a mapping, unreadable file)."""


def parse_dag(dag: dict[str, Any] | str) -> dict[str, Any]:
    """A DAG given as a mapping or as YAML/JSON text, in the `{dag: ..., schema_version: ...}` shape.

    Also accepts the body `flow job submit` posts (`{dag_schema: {...}}`), so a DAG saved from
    fate_client.pipeline or from an HTTP capture works unchanged.
    """
    dag = parse_mapping(dag, "DAG", "with `dag` and `schema_version`")
    inner = dag.get("dag_schema")
    return inner if isinstance(inner, dict) else dag


def canonical_dag(dag: dict[str, Any] | str) -> str:
    """The DAG's meaning as text: key order, YAML vs JSON and the `dag_schema` wrapper do not count."""
    return json.dumps(parse_dag(dag), sort_keys=True, separators=(",", ":"))


def _party_id_problem(value: Any) -> str | None:
    """FATE 2.x DAGs carry party ids as strings of digits (PartySpec.party_id: List[str])."""
    if not isinstance(value, str):
        hint = f": write it as a string, '{value}'" if isinstance(value, int) and not isinstance(value, bool) else ""
        return f"{value!r} is not a party id string{hint} (FATE 2.x DAGs list party ids as strings)"
    try:
        validate_party_id(value)
    except ValueError as error:
        return str(error)
    return None


def _parties_problems(parties: Any, where: str, known: set[tuple[str, str]] | None) -> tuple[list[Problem], set[tuple[str, str]]]:
    """Problems of a `parties` list, and the (role, party id) pairs it names.

    `known` is the job's own party set: a task or party_tasks entry may only name parties of the job.
    """
    problems: list[Problem] = []
    named: set[tuple[str, str]] = set()
    if not isinstance(parties, list) or not parties:
        return [(where, "list the parties, e.g. [{role: guest, party_id: ['9999']}]")], named
    for index, party in enumerate(parties):
        at = f"{where}[{index}]"
        if not isinstance(party, dict):
            problems.append((at, "each party is a mapping with `role` and `party_id`"))
            continue
        role = party.get("role")
        if role not in ROLES:
            problems.append((f"{at}.role", f"{role!r} is not a FATE role: use one of {', '.join(ROLES)}"))
        ids = party.get("party_id")
        if not isinstance(ids, list) or not ids:
            problems.append((f"{at}.party_id", "a list of party ids as strings, e.g. ['9999']"))
            continue
        for id_index, party_id in enumerate(ids):
            problem = _party_id_problem(party_id)
            if problem:
                problems.append((f"{at}.party_id[{id_index}]", problem))
                continue
            pair = (str(role), party_id)
            if known is None and pair in named:
                problems.append((f"{at}.party_id[{id_index}]", f"{role} {party_id} is listed twice"))
            if known is not None and role in ROLES and pair not in known:
                problems.append((f"{at}.party_id[{id_index}]",
                                 f"{role} {party_id} is not one of the job's parties (dag.parties)"))
            named.add(pair)
    return problems, named


def _producers(inputs: Any) -> list[tuple[str, str]]:
    """(path, producer task) for every input that reads another task of this job."""
    found: list[tuple[str, str]] = []
    if not isinstance(inputs, dict):
        return found
    for kind, slots in inputs.items():
        for slot, channels in (slots or {}).items() if isinstance(slots, dict) else []:
            for channel_kind, specs in (channels or {}).items() if isinstance(channels, dict) else []:
                if channel_kind != TASK_OUTPUT_CHANNEL:
                    continue
                for spec in specs if isinstance(specs, list) else [specs]:
                    if isinstance(spec, dict):
                        found.append((f"inputs.{kind}.{slot}.{channel_kind}.producer_task",
                                      str(spec.get("producer_task"))))
    return found


def _task_problems(name: str, task: Any, tasks: dict[str, Any], parties: set[tuple[str, str]]) -> list[Problem]:
    where = f"dag.tasks.{name}"
    if not isinstance(task, dict):
        return [(where, "each task is a mapping with `component_ref`")]
    problems: list[Problem] = []
    component = task.get("component_ref")
    if not isinstance(component, str) or not component.strip():
        problems.append((f"{where}.component_ref", "missing: the FATE component this task runs, e.g. toy_example"))
    dependencies = task.get("dependent_tasks") or []
    if not isinstance(dependencies, list):
        problems.append((f"{where}.dependent_tasks", "a list of task names"))
        dependencies = []
    for dependency in dependencies:
        if dependency == name:
            problems.append((f"{where}.dependent_tasks", "a task cannot depend on itself"))
        elif dependency not in tasks:
            problems.append((f"{where}.dependent_tasks", f"depends on {dependency!r}, which is not a task of this DAG"))
    for path, producer in _producers(task.get("inputs")):
        if producer not in tasks:
            problems.append((f"{where}.{path}", f"reads from {producer!r}, which is not a task of this DAG"))
    if task.get("parameters") is not None and not isinstance(task["parameters"], dict):
        problems.append((f"{where}.parameters", "a mapping of the component's parameters"))
    if task.get("stage") is not None and task["stage"] not in STAGES:
        problems.append((f"{where}.stage", f"{task['stage']!r} is not a stage: use one of {', '.join(STAGES)}"))
    if task.get("parties") is not None:
        problems += _parties_problems(task["parties"], f"{where}.parties", parties)[0]
    return problems


def _cycle(tasks: dict[str, Any]) -> list[str] | None:
    """One dependency cycle (task names, first repeated at the end), or None.

    Iterative depth-first search: a chain of thousands of tasks needs no Python recursion."""
    graph = {name: [d for d in (task.get("dependent_tasks") or []) if d in tasks and d != name]
             for name, task in tasks.items() if isinstance(task, dict) and isinstance(task.get("dependent_tasks"), list)}
    for name, task in tasks.items():
        if isinstance(task, dict):
            graph.setdefault(name, []).extend(p for _, p in _producers(task.get("inputs")) if p in tasks and p != name)
    on_path: dict[str, int] = {}
    """node -> its index in `path` while it is being visited."""
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        path = [root]
        on_path[root] = 0
        stack = [iter(graph[root])]
        while stack:
            for nxt in stack[-1]:
                if nxt in on_path:
                    return path[on_path[nxt]:] + [nxt]
                if nxt not in done:
                    on_path[nxt] = len(path)
                    path.append(nxt)
                    stack.append(iter(graph.get(nxt, [])))
                    break
            else:
                done.add(path[-1])
                del on_path[path.pop()]
                stack.pop()
    return None


def validate_dag(dag: dict[str, Any] | str) -> list[Problem]:
    """Everything wrong with a FATE 2.x DAG as (path, reason) pairs; [] when it can be submitted."""
    try:
        schema = parse_dag(dag)
    except DagError as error:
        return [("", str(error))]
    if "dag" not in schema and ("components" in schema or {"role", "initiator"} <= set(schema)):
        return [("", "this is a FATE 1.x job (a DSL or runtime conf), not a FATE 2.x DAG: FATE 1.x jobs are "
                     "given as a DSL and a runtime conf, not as a DAG")]
    problems: list[Problem] = []
    if not isinstance(schema.get("schema_version"), str) or not schema["schema_version"]:
        problems.append(("schema_version", "missing: FATE 2.x DAGs say e.g. schema_version: 2.0.0"))
    body = schema.get("dag")
    if not isinstance(body, dict):
        return problems + [("dag", "missing: the job's parties, stage and tasks go under `dag`")]
    party_problems, parties = _parties_problems(body.get("parties"), "dag.parties", None)
    problems += party_problems
    roles = {role for role, _ in parties}
    if parties and not roles & {"guest", "local"}:
        problems.append(("dag.parties", "a job needs a guest (or, alone, a local) party"))
    if "local" in roles and roles - {"local"}:
        problems.append(("dag.parties", "role local runs a one-party job: do not mix it with guest/host/arbiter"))
    if body.get("stage") is not None and body["stage"] not in STAGES:
        problems.append(("dag.stage", f"{body['stage']!r} is not a stage: use one of {', '.join(STAGES)}"))
    conf = body.get("conf") or {}
    if not isinstance(conf, dict):
        problems.append(("dag.conf", "a mapping of job settings"))
        conf = {}
    for key in ("scheduler_party_id", "initiator_party_id"):
        value = conf.get(key)
        if value is not None and parties and str(value) not in {party_id for _, party_id in parties}:
            problems.append((f"dag.conf.{key}", f"{value!r} is not one of the job's parties (dag.parties)"))
    tasks = body.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        problems.append(("dag.tasks", "list the tasks, e.g. {toy_example_0: {component_ref: toy_example}}"))
        tasks = {}
    for name, task in tasks.items():
        problems += _task_problems(str(name), task, tasks, parties)
    cycle = _cycle(tasks)
    if cycle:
        shown = cycle if len(cycle) <= MAX_CYCLE_SHOWN else [*cycle[:MAX_CYCLE_SHOWN - 2], "...", *cycle[-2:]]
        problems.append(("dag.tasks", f"dependency cycle of {len(cycle) - 1} tasks: " + " -> ".join(shown)
                         + ": remove one of these dependencies"))
    party_tasks = body.get("party_tasks") or {}
    if not isinstance(party_tasks, dict):
        problems.append(("dag.party_tasks", "a mapping of per-party settings"))
        party_tasks = {}
    for group, spec in party_tasks.items():
        where = f"dag.party_tasks.{group}"
        if not isinstance(spec, dict):
            problems.append((where, "a mapping with `parties` and `tasks`"))
            continue
        if spec.get("parties") is not None:
            problems += _parties_problems(spec["parties"], f"{where}.parties", parties)[0]
        for task_name in spec.get("tasks") or {}:
            if task_name not in tasks:
                problems.append((f"{where}.tasks.{task_name}", f"{task_name!r} is not a task of this DAG"))
    return problems


def dag_parties(dag: dict[str, Any] | str) -> dict[str, list[int]]:
    """role -> party ids of a valid DAG (for reports and for telling which party runs a job)."""
    body = parse_dag(dag).get("dag") or {}
    result: dict[str, list[int]] = {}
    for party in body.get("parties") or []:
        result.setdefault(party["role"], []).extend(int(p) for p in party["party_id"])
    return result


def initiator_party_id(dag: dict[str, Any] | str) -> int | None:
    """The party that submits and schedules a valid DAG: its conf's initiator or scheduler, else its first
    guest (or local) party, as FATE Flow picks it."""
    body = parse_dag(dag).get("dag") or {}
    conf = body.get("conf") or {}
    chosen = conf.get("initiator_party_id") or conf.get("scheduler_party_id")
    if chosen:
        return int(chosen)
    parties = dag_parties(dag)
    first = (parties.get("guest") or parties.get("local") or [None])[0]
    return first


def toy_example_dag(guest_party_id: int, host_party_id: int, *, data_num: int = 1024, partition: int = 4
                    ) -> dict[str, Any]:
    """FATE 2.x's toy job, what `flow test toy -gid G -hid H` submits: proof that two parties federate."""
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
    """FATE 1.x's toy job, what 1.x `flow test toy -gid G -hid H` posts: (job_dsl, job_runtime_conf)."""
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


def parse_mapping(value: Any, what: str, expected: str = "(or its JSON/YAML text)") -> dict[str, Any]:
    """A mapping given as such or as JSON/YAML text (a DAG, a 1.x dsl or runtime_conf)."""
    if isinstance(value, str):
        try:
            value = load_user_yaml(value)
        except UserYamlError as error:
            raise DagError(f"the {what} is {error}") from None
    if not isinstance(value, dict):
        raise DagError(f"the {what} must be a mapping {expected} (got {type(value).__name__})")
    return value


def validate_v1_job(dsl: dict[str, Any] | str, runtime_conf: dict[str, Any] | str) -> list[tuple[str, str, str]]:
    """Problems of a FATE 1.x job as (input: `dsl` or `runtime_conf`, path, reason); [] when it can be sent."""
    problems: list[tuple[str, str, str]] = []
    try:
        dsl_map = parse_mapping(dsl, "dsl")
        components = dsl_map.get("components")
        if not isinstance(components, dict) or not components:
            problems.append(("dsl", "components", "list the components, e.g. {secure_add_example_0: "
                                                  "{module: SecureAddExample}}"))
        else:
            for name, component in components.items():
                if not isinstance(component, dict) or not component.get("module"):
                    problems.append(("dsl", f"components.{name}.module", "missing: the FATE 1.x module it runs"))
    except DagError as error:
        problems.append(("dsl", "", str(error)))
    try:
        conf = parse_mapping(runtime_conf, "runtime_conf")
    except DagError as error:
        return problems + [("runtime_conf", "", str(error))]
    roles = conf.get("role")
    listed: set[tuple[str, int]] = set()
    if not isinstance(roles, dict) or not roles:
        problems.append(("runtime_conf", "role", "map roles to party ids, e.g. {guest: [9999], host: [10000]}"))
        roles = {}
    for role, ids in roles.items():
        if role not in ROLES:
            problems.append(("runtime_conf", f"role.{role}", f"{role!r} is not a FATE role: use one of {', '.join(ROLES)}"))
        for index, party_id in enumerate(ids if isinstance(ids, list) else [ids]):
            try:
                listed.add((role, validate_party_id(party_id)))
            except ValueError as error:
                problems.append(("runtime_conf", f"role.{role}[{index}]", str(error)))
    initiator = conf.get("initiator")
    if not isinstance(initiator, dict):
        problems.append(("runtime_conf", "initiator", "name the submitting party, e.g. {role: guest, party_id: 9999}"))
    else:
        try:
            pair = (initiator.get("role"), validate_party_id(initiator.get("party_id")))
            if listed and pair not in listed:
                problems.append(("runtime_conf", "initiator", f"{pair[0]} {pair[1]} is not listed under `role`"))
        except ValueError as error:
            problems.append(("runtime_conf", "initiator.party_id", str(error)))
    return problems


def _read_job_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DagError(f"cannot read the {what} file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise DagError(f"the {what} file {path} is not UTF-8 text") from None


def load_dag_file(path: str | Path) -> dict[str, Any]:
    """A validated DAG from a YAML or JSON file; every error names the file."""
    path = Path(path)
    text = _read_job_file(path, "DAG")
    try:
        dag = parse_dag(text)
    except DagError as error:
        raise DagError(f"{path}: {error}") from None
    problems = validate_dag(dag)
    if problems:
        raise DagError(f"{path}: " + "; ".join(f"{where or 'DAG'}: {why}" for where, why in problems))
    return dag


def load_v1_job(dsl_path: str | Path, runtime_conf_path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A validated FATE 1.x job (dsl, runtime_conf) from its two YAML or JSON files; errors name the file."""
    files = {"dsl": Path(dsl_path), "runtime_conf": Path(runtime_conf_path)}
    texts = {key: _read_job_file(path, key) for key, path in files.items()}
    problems = validate_v1_job(texts["dsl"], texts["runtime_conf"])
    if problems:
        raise DagError("; ".join(f"{files[key]}: {where or key}: {why}" for key, where, why in problems))
    return parse_mapping(texts["dsl"], "dsl"), parse_mapping(texts["runtime_conf"], "runtime_conf")


def v1_job_parties(runtime_conf: dict[str, Any]) -> dict[str, list[int]]:
    """role -> party ids of a valid FATE 1.x runtime conf."""
    return {role: [validate_party_id(i) for i in (ids if isinstance(ids, list) else [ids])]
            for role, ids in (runtime_conf.get("role") or {}).items()}
