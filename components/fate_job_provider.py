"""The FateJob dynamic provider: submits FATE jobs to FATE Flow and tracks them like a Pulumi resource.

Pulumi pickles the provider instance BY REFERENCE to this module (pulumi-python research, section 2):
importing it has no side effects, the instance keeps plain data only, and HTTP clients are made inside
the methods (components.fateflow_client, whose `make_client` tests replace). Renaming or moving this
module breaks refresh and destroy of existing stacks (their state names it).

The HTTP client (retries, signing, FATE Flow's error codes) is components.fateflow_client; the status
summary is components.fate_job_status. customTimeouts do nothing for dynamic providers, hence the
`timeout_s` deadline implemented here. The provider process has no engine connection, so progress goes to stderr, which the
Pulumi CLI shows beside the resource.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlparse

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN

from components import fateflow_client
from components.fate_job_status import (
    KEPT_ON_FAILURE,
    SUCCESS,
    TERMINAL_STATES,
    FateJobFailed,
    failure_message,
    summarize,
)
from components.fateconf import fate_dag
from components.fateflow_client import FateFlowApi, FateFlowError, FateFlowUnreachable
from specs.values import validate_party_id

DEFINITION_KEYS = ("dag", "dsl", "runtime_conf")
"""Inputs that define the run: a change is a new run (replace)."""
SETTING_KEYS = ("endpoint", "wait", "timeout_s", "poll_interval_s", "max_poll_interval_s", "app_id", "app_token")
"""Inputs that only say how to reach and follow the run: a change updates in place."""
PARTY_KEY = "party_id"
OUTPUT_KEYS = ("job_id", "status", "progress", "party_statuses", "task_statuses", "failed_tasks", "model_id",
               "model_version", "start_time", "end_time", "timed_out")
DEFAULTS: dict[str, Any] = {"wait": True, "timeout_s": 3600.0, "poll_interval_s": 1.0, "max_poll_interval_s": 3.0}
"""The polling policy when the inputs say nothing: poll after 1 s, then 1.5x slower up to every 3 s."""
HEARTBEAT_S = 30.0


def report(message: str, warning: bool = False) -> None:
    """Progress for the user, best effort. The dynamic provider process has no engine connection
    (pulumi#6065), so pulumi.log itself would print to stderr; this writes the same lines directly, and
    never fails the operation."""
    try:
        print(f"{'warning' if warning else 'info'}: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _unknown(value: Any) -> bool:
    """Whether a value is not known yet (a preview with inputs from other resources)."""
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_unknown(item) for item in value)
    return False


def _canonical(key: str, value: Any) -> str:
    """A definition input's meaning as text, so layout and key order are not a new run."""
    try:
        if key == "dag":
            return fate_dag.canonical_dag(value)
        return json.dumps(fate_dag.parse_mapping(value, key), sort_keys=True)
    except ValueError:
        return repr(value)


def _setting(props: dict[str, Any], key: str) -> Any:
    value = props.get(key)
    return DEFAULTS.get(key) if value is None else value


def _job_party(props: dict[str, Any]) -> int | None:
    """The party whose FATE Flow runs the job: `party_id`, else the one the definition says submits it."""
    try:
        if props.get(PARTY_KEY) is not None:
            return validate_party_id(props[PARTY_KEY])
        if props.get("dag") is not None:
            return fate_dag.initiator_party_id(props["dag"])
        if props.get("runtime_conf") is not None:
            conf = fate_dag.parse_mapping(props["runtime_conf"], "runtime_conf")
            return validate_party_id((conf.get("initiator") or {}).get("party_id"))
    except (ValueError, KeyError, TypeError):
        return None
    return None


class FateJobProvider(ResourceProvider):
    """check validates before anything is sent; create submits and (if `wait`) follows the job to its end;
    read reports its current status; diff replaces on a new definition or party; delete stops a live job."""

    def __init__(self, retries: int = 4, backoff_s: float = 0.5) -> None:
        self.retries = retries
        self.backoff_s = backoff_s

    # --- helpers -----------------------------------------------------------------------------------

    def _api(self, props: dict[str, Any], deadline: float | None = None) -> FateFlowApi:
        return FateFlowApi(str(props["endpoint"]).rstrip("/"), v1=props.get("dag") is None,
                           app_id=props.get("app_id") or None, app_token=props.get("app_token") or None,
                           retries=self.retries, backoff_s=self.backoff_s, deadline=deadline)

    @staticmethod
    def _snapshot(api: FateFlowApi, job_id: str) -> dict[str, Any] | None:
        """The job now (tasks are read only once it ended: that is when their error reports matter)."""
        rows = api.job_rows(job_id)
        if rows is None:
            return None
        summary = summarize(job_id, rows, [])
        if summary["status"] in TERMINAL_STATES:
            summary = summarize(job_id, rows, api.task_rows(job_id))
        return summary

    def track(self, api: FateFlowApi, job_id: str, props: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Poll until the job ends or the deadline passes: (last summary, deadline reached).

        An unreachable FATE Flow or a server error (a restart) is waited out until the deadline; a job
        that FATE Flow stops knowing about while it runs is a failure.
        """
        interval = float(_setting(props, "poll_interval_s"))
        longest = float(_setting(props, "max_poll_interval_s"))
        started = fateflow_client.monotonic()
        last: dict[str, Any] | None = None
        said_at = started
        while True:
            try:
                summary = self._snapshot(api, job_id)
                if summary is None:
                    raise FateJobFailed(f"FATE job {job_id} disappeared from FATE Flow at {api.endpoint} while "
                                        f"it ran (its database was reset?). {KEPT_ON_FAILURE}")
            except (FateFlowUnreachable, FateFlowError) as error:
                report(f"FATE job {job_id}: {error}; still waiting (until timeout_s)", warning=True)
                summary = last
            now = fateflow_client.monotonic()
            if summary is not None:
                changed = last is None or (summary["status"], summary["progress"]) != (last["status"], last["progress"])
                if changed or now - said_at >= HEARTBEAT_S:
                    report(f"FATE job {job_id}: {summary['status']} {summary['progress']}% after "
                           f"{now - started:.0f} s ({', '.join(f'{p} {s}' for p, s in summary['party_statuses'].items())})")
                    said_at = now
                last = summary
                if summary["status"] in TERMINAL_STATES:
                    return summary, False
            if api.deadline is not None and now >= api.deadline:
                return last or {"job_id": job_id, "status": "unknown"}, True
            fateflow_client.sleep(max(0.0, min(interval, (api.deadline or float("inf")) - now)))
            interval = min(interval * 1.5, longest)

    def _follow(self, api: FateFlowApi, job_id: str, props: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        """Track to the end (create, or update resuming a wait): outputs, or FateJobFailed."""
        summary, timed_out = self.track(api, job_id, props)
        if timed_out:
            report(f"FATE job {job_id} is still {summary.get('status')} after timeout_s={_setting(props, 'timeout_s')}: "
                   "stopped waiting; the job goes on in FATE Flow. Pulumi records it with timed_out=true. "
                   "Run `pulumi refresh` to read its status later, or raise timeout_s and run `pulumi up` to "
                   "wait again.", warning=True)
        elif summary["status"] != SUCCESS:
            raise FateJobFailed(failure_message(summary, api.endpoint))
        return {**base, **{k: v for k, v in summary.items() if v is not None}, "timed_out": timed_out}

    # --- the provider interface ----------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        endpoint = news.get("endpoint")
        if endpoint is None:
            failures.append(CheckFailure("endpoint", "required: FATE Flow's base URL, e.g. http://fateflow:9380"))
        elif not _unknown(endpoint):
            parsed = urlparse(str(endpoint))
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                failures.append(CheckFailure("endpoint", f"{endpoint!r} is not an http(s) URL: give FATE Flow's "
                                                         "base URL, e.g. http://fateflow:9380"))
        has_dag = news.get("dag") is not None
        has_v1 = news.get("dsl") is not None or news.get("runtime_conf") is not None
        if has_dag and has_v1:
            failures.append(CheckFailure("dag", "give either `dag` (FATE 2.x) or `dsl` and `runtime_conf` "
                                                "(FATE 1.x), not both"))
        elif not has_dag and not has_v1:
            failures.append(CheckFailure("dag", "required: the FATE 2.x DAG (or `dsl` and `runtime_conf` for "
                                                "FATE 1.x)"))
        elif has_dag and not _unknown(news["dag"]):
            failures += [CheckFailure("dag", f"{where}: {why}" if where else why)
                         for where, why in fate_dag.validate_dag(news["dag"])]
        elif has_v1:
            missing = [key for key in ("dsl", "runtime_conf") if news.get(key) is None]
            failures += [CheckFailure(key, "required with a FATE 1.x job (`dsl` and `runtime_conf` go together)")
                         for key in missing]
            if not missing and not _unknown(news["dsl"]) and not _unknown(news["runtime_conf"]):
                failures += [CheckFailure(key, f"{where}: {why}" if where else why)
                             for key, where, why in fate_dag.validate_v1_job(news["dsl"], news["runtime_conf"])]
        failures += self._check_settings(news)
        return CheckResult({**news, **{k: v for k, v in DEFAULTS.items() if news.get(k) is None}}, failures)

    @staticmethod
    def _check_settings(news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        for key in ("timeout_s", "poll_interval_s", "max_poll_interval_s"):
            value = news.get(key)
            if value is None or _unknown(value):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                failures.append(CheckFailure(key, f"must be a positive number of seconds, not {value!r}"))
        first, longest = news.get("poll_interval_s"), news.get("max_poll_interval_s")
        if isinstance(first, (int, float)) and isinstance(longest, (int, float)) and 0 < longest < first:
            failures.append(CheckFailure("max_poll_interval_s", f"{longest} is below poll_interval_s={first}"))
        if news.get("wait") is not None and not _unknown(news["wait"]) and not isinstance(news["wait"], bool):
            failures.append(CheckFailure("wait", f"must be true or false, not {news['wait']!r}"))
        app_id, app_token = news.get("app_id"), news.get("app_token")
        if bool(app_id) != bool(app_token):
            failures.append(CheckFailure("app_token" if app_id else "app_id",
                                         "app_id and app_token go together (FATE Flow client authentication)"))
        party = news.get(PARTY_KEY)
        if party is not None and not _unknown(party):
            try:
                party_id = validate_party_id(party)
            except ValueError as error:
                failures.append(CheckFailure(PARTY_KEY, str(error)))
            else:
                dag = news.get("dag")
                if dag is not None and not _unknown(dag) and not fate_dag.validate_dag(dag):
                    ids = {p for ids in fate_dag.dag_parties(dag).values() for p in ids}
                    if party_id not in ids:
                        failures.append(CheckFailure(PARTY_KEY, f"party {party_id} is not one of the DAG's "
                                                                f"parties {sorted(ids)}: the endpoint's party must "
                                                                "take part in the job"))
        return failures

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = []
        for key in DEFINITION_KEYS:
            old, new = olds.get(key), news.get(key)
            if _unknown(new) or (old is None) != (new is None):
                replaces.append(key)
            elif old is not None and _canonical(key, old) != _canonical(key, new):
                replaces.append(key)
        if _unknown(news.get(PARTY_KEY)):
            replaces.append(PARTY_KEY)
        elif not replaces and _job_party(olds) != _job_party(news):
            replaces.append(PARTY_KEY)
        changed = [key for key in (*SETTING_KEYS, PARTY_KEY) if _setting(olds, key) != _setting(news, key)]
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        deadline = fateflow_client.monotonic() + float(_setting(props, "timeout_s"))
        with self._api(props, deadline) as api:
            job_id, model = api.submit(props)
            report(f"FATE job {job_id} submitted to {api.endpoint}")
            base = {**props, **{k: v for k, v in model.items() if v is not None}, "job_id": job_id}
            try:
                if _setting(props, "wait"):
                    return CreateResult(job_id, self._follow(api, job_id, props, base))
                try:
                    summary = self._snapshot(api, job_id) or {}
                except (FateFlowUnreachable, FateFlowError) as error:
                    report(f"FATE job {job_id}: accepted, status not read yet ({error})", warning=True)
                    summary = {}
                status = {"status": "waiting", **{k: v for k, v in summary.items() if v is not None}}
                return CreateResult(job_id, {**base, **status, "timed_out": False})
            except FateJobFailed:
                raise
            except Exception as error:
                # Raising leaves no state: a job still running would run on unrecorded, so stop it first.
                raise FateJobFailed(f"FATE job {job_id} was submitted to {api.endpoint}, then following it "
                                    f"failed ({type(error).__name__}: {error}); {self._stop_quietly(api, job_id)}. "
                                    + KEPT_ON_FAILURE) from error

    @staticmethod
    def _stop_quietly(api: FateFlowApi, job_id: str) -> str:
        """Stop a job on the way out of a failed create; what happened, for the error message."""
        try:
            api.stop(job_id)
        except (FateFlowUnreachable, FateFlowError) as error:
            return f"stopping it failed too ({error}): stop it with `flow job stop -j {job_id}`"
        return "the job was stopped"

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self._api(props) as api:
            summary = self._snapshot(api, id_)
        if summary is None:
            return ReadResult(None, {})  # FATE Flow no longer knows the job: Pulumi drops it from state
        ended = {"timed_out": False} if summary["status"] in TERMINAL_STATES else {}
        return ReadResult(id_, {**props, **{k: v for k, v in summary.items() if v is not None}, **ended})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only settings changed: keep the run and its outputs. A run recorded unfinished (timeout_s reached,
        or wait=false) is followed again when `wait` is on: raising timeout_s and `pulumi up` resumes."""
        outputs = {**{k: olds[k] for k in OUTPUT_KEYS if k in olds}, **news}
        if not _setting(news, "wait") or olds.get("status") in TERMINAL_STATES:
            return UpdateResult(outputs)
        deadline = fateflow_client.monotonic() + float(_setting(news, "timeout_s"))
        with self._api(news, deadline) as api:
            return UpdateResult(self._follow(api, id_, news, outputs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Stop the job if it still runs; an ended job (or one FATE Flow forgot) is only forgotten."""
        with self._api(props) as api:
            summary = self._snapshot(api, id_)
            if summary is None or summary["status"] in TERMINAL_STATES:
                return  # FATE Flow keeps the history of ended jobs
            report(f"FATE job {id_} is {summary['status']}: stopping it")
            api.stop(id_)
            after = self._snapshot(api, id_)
            report(f"FATE job {id_}: {after['status'] if after else 'gone'} after stop")
