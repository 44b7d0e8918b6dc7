"""The FateJob dynamic provider: submits FATE jobs to FATE Flow and tracks them like a Pulumi resource.

Side-effect free on import (Pulumi pickles the provider by reference to this module: only plain data on
the instance; HTTP clients are made per call through `make_client`, which tests replace).
FATE Flow answers HTTP 200 to everything: success and failure are in the JSON `code` (2.x) or
`retcode` (1.x).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.fateconf import fate_dag

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""pulumi.runtime.rpc.UNKNOWN: what an input not known yet (in a preview) looks like to check/diff."""
SUCCESS = "success"
FAILED_STATES = ("failed", "canceled", "timeout")
NO_SUCH_JOB = 1001
DEFINITION_KEYS = ("dag", "dsl", "runtime_conf")
SETTING_KEYS = ("endpoint", "wait", "timeout_s", "poll_interval_s", "max_poll_interval_s", "app_id", "app_token")
ERROR_REPORT_LIMIT = 2000


def make_client(base_url: str, timeout_s: float) -> httpx.Client:
    """The HTTP client for one call to FATE Flow (module level so tests can swap the transport)."""
    return httpx.Client(base_url=base_url, timeout=timeout_s)


class FateFlowError(Exception):
    """FATE Flow answered, with a non-zero code."""

    def __init__(self, code: int, message: str, path: str) -> None:
        super().__init__(f"FATE Flow {path} answered code {code}: {message}")
        self.code = code


class FateFlowUnreachable(Exception):
    """No answer from FATE Flow after the bounded retries."""


class FateJobFailed(Exception):
    pass


@dataclass
class FateFlowApi:
    """FATE Flow's job API (2.x under /v2, 1.x under /v1), with bounded retries for connection errors."""

    endpoint: str
    app_id: str | None = None
    app_token: str | None = None
    retries: int = 4
    backoff_s: float = 0.5
    request_timeout_s: float = 30.0
    requests: int = field(default=0, init=False)

    def _headers(self) -> dict[str, str]:
        if not self.app_id:
            return {}
        nonce = f"{random.randint(1000, 9999)}"
        timestamp = str(int(time.time() * 1000))
        inner = hashlib.md5(f"{self.app_id}{nonce}{timestamp}".encode()).hexdigest()
        signature = hashlib.md5(f"{inner}{self.app_token or ''}".encode()).hexdigest()
        return {"appId": self.app_id, "userName": "", "Nonce": nonce, "Timestamp": timestamp,
                "Signature": signature}

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, code_key: str = "code") -> dict[str, Any]:
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                self.requests += 1
                with make_client(self.endpoint, self.request_timeout_s) as client:
                    response = client.request(method, path, params=params, json=body, headers=self._headers())
                break
            except httpx.TransportError as error:
                if attempt == self.retries:
                    raise FateFlowUnreachable(
                        f"FATE Flow at {self.endpoint} did not answer {method} {path} after {self.retries + 1} "
                        f"tries ({type(error).__name__}: {error}); check the endpoint and that FATE Flow runs"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 8.0)
        try:
            payload = response.json()
        except ValueError:
            raise FateFlowError(response.status_code, f"not JSON: {response.text[:200]!r}", path) from None
        code = payload.get(code_key)
        if code not in (0, None) or (code is None and response.status_code != 200):
            raise FateFlowError(int(code or response.status_code), str(payload.get("message") or payload.get(
                "retmsg") or ""), path)
        return payload

    # FATE 2.x
    def submit(self, dag: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/v2/job/submit", body={"dag_schema": dag})

    def query(self, job_id: str) -> list[dict[str, Any]] | None:
        try:
            return list(self.call("GET", "/v2/job/query", params={"job_id": job_id}).get("data") or [])
        except FateFlowError as error:
            if error.code == NO_SUCH_JOB:
                return None
            raise

    def tasks(self, job_id: str) -> list[dict[str, Any]]:
        try:
            return list(self.call("GET", "/v2/job/task/query", params={"job_id": job_id}).get("data") or [])
        except FateFlowError:
            return []

    def stop(self, job_id: str) -> None:
        try:
            self.call("POST", "/v2/job/stop", body={"job_id": job_id})
        except FateFlowError as error:
            if error.code != NO_SUCH_JOB:
                raise

    # FATE 1.x
    def submit_v1(self, dsl: dict[str, Any], runtime_conf: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/v1/job/submit", body={"job_dsl": dsl, "job_runtime_conf": runtime_conf},
                         code_key="retcode")

    def query_v1(self, job_id: str) -> list[dict[str, Any]] | None:
        try:
            rows = self.call("POST", "/v1/job/query", body={"job_id": job_id}, code_key="retcode").get("data")
        except FateFlowError as error:
            if error.code in (NO_SUCH_JOB, 101):
                return None
            raise
        if not rows:
            return None
        return [{"role": r.get("f_role"), "party_id": r.get("f_party_id"), "status": r.get("f_status"),
                 "progress": r.get("f_progress") or 0, "start_time": r.get("f_start_time"),
                 "end_time": r.get("f_end_time"), "model_id": None, "model_version": None} for r in rows]

    def tasks_v1(self, job_id: str) -> list[dict[str, Any]]:
        try:
            rows = self.call("POST", "/v1/job/task/query", body={"job_id": job_id}, code_key="retcode")
        except FateFlowError:
            return []
        return [{"task_name": r.get("f_component_name"), "role": r.get("f_role"), "party_id": r.get("f_party_id"),
                 "status": r.get("f_status"), "error_report": ""} for r in rows.get("data") or []]

    def stop_v1(self, job_id: str) -> None:
        self.call("POST", "/v1/job/stop", body={"job_id": job_id}, code_key="retcode")


def _time(ms: Any) -> str | None:
    if not ms:
        return None
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def summarize(job_id: str, rows: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """The job as the outputs show it: one status for the job, and one per party and per task."""
    parties = {f"{r['role']}:{r['party_id']}": r["status"] for r in rows}
    statuses = list(parties.values())
    failed = [s for s in statuses if s in FAILED_STATES]
    if failed:
        status = failed[0]
    elif statuses and all(s == SUCCESS for s in statuses):
        status = SUCCESS
    elif "running" in statuses:
        status = "running"
    else:
        status = statuses[0] if statuses else "waiting"
    ends = [r.get("end_time") for r in rows]
    return {
        "job_id": job_id,
        "status": status,
        "progress": min((int(r.get("progress") or 0) for r in rows), default=0) if status != SUCCESS else 100,
        "party_statuses": parties,
        "task_statuses": {f"{t['task_name']} {t['role']}:{t['party_id']}": t["status"] for t in tasks},
        "failed_tasks": [
            {"task": t["task_name"], "party": f"{t['role']}:{t['party_id']}", "status": t["status"],
             "error_report": (t.get("error_report") or "")[-ERROR_REPORT_LIMIT:]}
            for t in tasks if t.get("status") in FAILED_STATES
        ],
        "model_id": next((r.get("model_id") for r in rows if r.get("model_id")), None),
        "model_version": next((str(r.get("model_version")) for r in rows if r.get("model_version") is not None),
                              None),
        "start_time": _time(min((r["start_time"] for r in rows if r.get("start_time")), default=None)),
        "end_time": _time(max(ends)) if ends and all(ends) else None,
    }


def failure_message(summary: dict[str, Any]) -> str:
    lines = [f"FATE job {summary['job_id']} ended {summary['status']} ({summary['party_statuses']})."]
    for task in summary["failed_tasks"]:
        report = task["error_report"].strip() or "(no error report)"
        lines.append(f"  task {task['task']} at {task['party']}: {task['status']}\n    {report}")
    if not summary["failed_tasks"]:
        lines.append("  no task reported an error; see FATE Flow's logs for the job")
    lines.append("Pulumi records no job for a failed create: fix the DAG and run `pulumi up` again for a new run; "
                 "the failed run stays in FATE Flow's history under its job id.")
    return "\n".join(lines)


def _is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def _definition(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props.get(k) for k in DEFINITION_KEYS if props.get(k) is not None}


def _canonical(key: str, value: Any) -> str:
    if key == "dag":
        return fate_dag.canonical(value)
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True)


def _party(props: dict[str, Any]) -> int | None:
    if props.get("party_id") not in (None, UNKNOWN):
        return int(props["party_id"])
    if props.get("dag") not in (None, UNKNOWN):
        return fate_dag.initiator(props["dag"])
    conf = props.get("runtime_conf")
    if isinstance(conf, str) and conf != UNKNOWN:
        conf = json.loads(conf)
    if isinstance(conf, dict):
        return int((conf.get("initiator") or {}).get("party_id") or 0) or None
    return None


class FateJobProvider(ResourceProvider):
    """create submits (and waits), read refreshes, diff replaces on a new definition, delete stops."""

    def __init__(self, poll_interval_s: float = 1.0, max_poll_interval_s: float = 3.0, retries: int = 4) -> None:
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max_poll_interval_s
        self.retries = retries

    # --- helpers -----------------------------------------------------------------------------------

    def _api(self, props: dict[str, Any]) -> FateFlowApi:
        return FateFlowApi(str(props["endpoint"]).rstrip("/"), props.get("app_id"), props.get("app_token"),
                           retries=self.retries)

    @staticmethod
    def _v1(props: dict[str, Any]) -> bool:
        return props.get("dsl") is not None

    def _snapshot(self, api: FateFlowApi, job_id: str, v1: bool) -> dict[str, Any] | None:
        rows = api.query_v1(job_id) if v1 else api.query(job_id)
        if rows is None:
            return None
        summary = summarize(job_id, rows, [])
        if summary["status"] in FAILED_STATES or summary["status"] == SUCCESS:
            tasks = api.tasks_v1(job_id) if v1 else api.tasks(job_id)
            summary = summarize(job_id, rows, tasks)
        return summary

    def track(self, api: FateFlowApi, job_id: str, v1: bool, deadline: float) -> tuple[dict[str, Any], bool]:
        """Poll until the job ends or the deadline passes; (last summary, deadline reached)."""
        interval = float(self.poll_interval_s)
        last = None
        while True:
            try:
                summary = self._snapshot(api, job_id, v1)
            except FateFlowUnreachable as error:
                # FATE Flow restarting: keep waiting (within the deadline); it reports the job's fate after.
                pulumi.log.warn(f"FATE job {job_id}: {error}; still waiting")
                summary = last
            if summary is None and last is not None:
                raise FateJobFailed(f"FATE job {job_id} disappeared from FATE Flow while it ran")
            if summary is not None:
                if (summary["status"], summary["progress"]) != ((last or {}).get("status"), (last or {}).get("progress")):
                    pulumi.log.info(f"FATE job {job_id}: {summary['status']}, {summary['progress']}% "
                                    f"{summary['party_statuses']}")
                last = summary
                if summary["status"] == SUCCESS or summary["status"] in FAILED_STATES:
                    return summary, False
            if time.monotonic() >= deadline:
                return last or {"job_id": job_id, "status": "unknown"}, True
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 1.5, float(self.max_poll_interval_s))

    # --- the provider interface ----------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        endpoint = news.get("endpoint")
        if endpoint is None:
            failures.append(CheckFailure("endpoint", "required: FATE Flow's base URL, e.g. http://fateflow:9380"))
        elif not _is_unknown(endpoint):
            parsed = urlparse(str(endpoint))
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                failures.append(CheckFailure("endpoint", f"{endpoint!r} is not an http(s) URL"))
        has_dag = news.get("dag") is not None
        has_v1 = news.get("dsl") is not None or news.get("runtime_conf") is not None
        if has_dag == has_v1:
            failures.append(CheckFailure("dag", "give either `dag` (FATE 2.x) or `dsl` and `runtime_conf` (1.x)"))
        elif has_dag and not _is_unknown(news["dag"]):
            failures += [CheckFailure("dag", f"{where}: {why}" if where else why)
                         for where, why in fate_dag.dag_problems(news["dag"])]
        elif has_v1:
            for key in ("dsl", "runtime_conf"):
                value = news.get(key)
                if value is None:
                    failures.append(CheckFailure(key, "required with a FATE 1.x job (dsl and runtime_conf)"))
                elif not _is_unknown(value):
                    try:
                        parsed_value = json.loads(value) if isinstance(value, str) else value
                    except ValueError:
                        parsed_value = None
                    if not isinstance(parsed_value, dict):
                        failures.append(CheckFailure(key, "must be a mapping (or its JSON text)"))
        for key in ("timeout_s", "poll_interval_s", "max_poll_interval_s"):
            value = news.get(key)
            if value is not None and not _is_unknown(value) and (not isinstance(value, (int, float)) or value <= 0):
                failures.append(CheckFailure(key, f"must be a positive number of seconds, not {value!r}"))
        if news.get("wait") not in (None, True, False, UNKNOWN):
            failures.append(CheckFailure("wait", "must be true or false"))
        if bool(news.get("app_id")) != bool(news.get("app_token")):
            failures.append(CheckFailure("app_token", "app_id and app_token go together"))
        party = news.get("party_id")
        if party is not None and not _is_unknown(party):
            try:
                fate_dag.validate_party_id(party)
            except ValueError as error:
                failures.append(CheckFailure("party_id", str(error)))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = []
        for key in DEFINITION_KEYS:
            old, new = olds.get(key), news.get(key)
            if _is_unknown(new) or (old is None) != (new is None):
                replaces.append(key)
            elif old is not None and _canonical(key, old) != _canonical(key, new):
                replaces.append(key)
        if "party_id" not in replaces and not any(_is_unknown(news.get(k)) for k in ("party_id", "dag")):
            if _party(olds) != _party(news):
                replaces.append("party_id")
        changes = [k for k in (*DEFINITION_KEYS, *SETTING_KEYS, "party_id") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changes or replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        api = self._api(props)
        v1 = self._v1(props)
        if v1:
            dsl = props["dsl"] if isinstance(props["dsl"], dict) else json.loads(props["dsl"])
            conf = props["runtime_conf"] if isinstance(props["runtime_conf"], dict) else json.loads(props["runtime_conf"])
            answer = api.submit_v1(dsl, conf)
            job_id = str(answer.get("jobId") or answer.get("job_id"))
            submitted = {"model_id": (answer.get("data") or {}).get("model_info", {}).get("model_id"),
                         "model_version": (answer.get("data") or {}).get("model_info", {}).get("model_version")}
        else:
            answer = api.submit(fate_dag.parse_dag(props["dag"]))
            job_id = str(answer["job_id"])
            submitted = {"model_id": (answer.get("data") or {}).get("model_id"),
                         "model_version": (answer.get("data") or {}).get("model_version")}
        pulumi.log.info(f"FATE job {job_id} submitted to {props['endpoint']}")
        if props.get("wait") is False:
            summary = self._snapshot(api, job_id, v1) or {"job_id": job_id, "status": "waiting"}
            return CreateResult(job_id, {**props, **submitted, **_defined(summary), "timed_out": False})
        deadline = time.monotonic() + float(props.get("timeout_s") or 3600)
        summary, timed_out = self.track(api, job_id, v1, deadline)
        if timed_out:
            pulumi.log.warn(
                f"FATE job {job_id} is still {summary.get('status')} after timeout_s={props.get('timeout_s')}: "
                f"stopped waiting, the job goes on in FATE Flow. Run `pulumi refresh` to read its status later."
            )
        elif summary["status"] != SUCCESS:
            raise FateJobFailed(failure_message(summary))
        return CreateResult(job_id, {**props, **submitted, **_defined(summary), "timed_out": timed_out})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        summary = self._snapshot(self._api(props), id_, self._v1(props))
        if summary is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **_defined(summary)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only settings changed (endpoint URL, wait, timeouts): keep the run and its outputs."""
        outputs = {k: v for k, v in olds.items() if k not in (*DEFINITION_KEYS, *SETTING_KEYS, "party_id")}
        return UpdateResult({**outputs, **news})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        api = self._api(props)
        v1 = self._v1(props)
        summary = self._snapshot(api, id_, v1)
        if summary is None or summary["status"] == SUCCESS or summary["status"] in FAILED_STATES:
            return  # ended or unknown to FATE Flow: forget it (FATE Flow keeps the history)
        pulumi.log.info(f"FATE job {id_} is {summary['status']}: stopping it")
        (api.stop_v1 if v1 else api.stop)(id_)


def _defined(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if v is not None or k in ("end_time",)}
