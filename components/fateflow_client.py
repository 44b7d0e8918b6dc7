"""FATE Flow's job API over HTTP: retries with backoff, client authentication, FATE Flow's error codes.

Used by the FateJob provider (components.fate_job_provider) for one operation at a time. FATE Flow answers
HTTP 200 to everything: success and failure live in the JSON `code` (2.x, /v2) or `retcode` (1.x, /v1).
`make_client`, `sleep` and `monotonic` are module level so tests swap the transport and the clock.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from components.fateconf import fate_dag

NO_SUCH_JOB_V2 = 1001
NO_SUCH_JOB_V1 = (101, 103)  # task query / stop of an unknown job in FATE Flow 1.x
MAX_BACKOFF_S = 8.0


def make_client(base_url: str, timeout_s: float) -> httpx.Client:
    """The HTTP client for one provider operation (module level so tests can swap the transport)."""
    return httpx.Client(base_url=base_url, timeout=timeout_s)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def monotonic() -> float:
    return time.monotonic()


class FateFlowError(Exception):
    """FATE Flow answered, but not with code 0."""

    def __init__(self, code: int, message: str, path: str, endpoint: str) -> None:
        super().__init__(f"FATE Flow at {endpoint} answered {path} with code {code}: {message}")
        self.code = code


class FateFlowUnreachable(Exception):
    """No answer from FATE Flow within the bounded retries."""


def sign(app_id: str, app_token: str, user_name: str = "", nonce: str | None = None,
         timestamp: str | None = None) -> dict[str, str]:
    """FATE Flow 2.x client authentication headers (fate_flow.controller.permission.Authentication):
    Signature = md5(md5(appId + userName + nonce + timestamp) + app_token); the timestamp (ms) is valid
    60 s, the nonce is 4 digits. The token itself never leaves this process."""
    nonce = nonce or f"{random.randint(0, 9999):04d}"
    timestamp = timestamp or str(int(time.time() * 1000))
    key = hashlib.md5(f"{app_id}{user_name}{nonce}{timestamp}".encode()).hexdigest()
    signature = hashlib.md5(f"{key}{app_token}".encode()).hexdigest()
    return {"appId": app_id, "userName": user_name, "Nonce": nonce, "Timestamp": timestamp, "Signature": signature}


@dataclass
class FateFlowApi:
    """FATE Flow's job API for one provider operation: 2.x under /v2, 1.x under /v1 (`v1=True`).

    Calls retry an unreachable endpoint with exponential backoff, bounded by `retries` and by the
    operation's deadline. A submit is retried only when the request surely never arrived (connection
    refused or not opened): retrying a submit that may have arrived could start the job twice.
    """

    endpoint: str
    v1: bool = False
    app_id: str | None = None
    app_token: str | None = None
    retries: int = 4
    backoff_s: float = 0.5
    request_timeout_s: float = 30.0
    deadline: float | None = None
    requests: int = field(default=0, init=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> FateFlowApi:
        self._client = make_client(self.endpoint, self.request_timeout_s)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - monotonic()

    def _send(self, method: str, path: str, params: dict[str, Any] | None, body: dict[str, Any] | None
              ) -> httpx.Response:
        assert self._client is not None, "use FateFlowApi as a context manager"
        headers = sign(self.app_id, self.app_token or "") if self.app_id else {}
        timeout = max(1.0, min(self.request_timeout_s, self._remaining()))
        self.requests += 1
        return self._client.request(method, path, params=params, json=body, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, idempotent: bool = True) -> dict[str, Any]:
        """One API call; the JSON answer when its code is 0, else FateFlowError."""
        delay = self.backoff_s
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, path, params, body)
                break
            except httpx.TransportError as error:
                safe = idempotent or isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                if not safe or attempt > self.retries or self._remaining() < delay:
                    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                    raise FateFlowUnreachable(
                        f"FATE Flow at {self.endpoint} did not answer {method} {path} after {attempt} "
                        f"{'try' if attempt == 1 else 'tries'} ({reason}). Check the FateJob's `endpoint` "
                        f"and that FATE Flow runs there." + ("" if safe else
                        " The submit was not retried: it may have reached FATE Flow, so look for the job "
                        "in FATE Flow's job list before running `pulumi up` again.")) from None
                sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
        return self._decode(response, path)

    def _decode(self, response: httpx.Response, path: str) -> dict[str, Any]:
        code_key = "retcode" if self.v1 else "code"
        try:
            payload = response.json()
        except ValueError:
            hint = ""
            if response.status_code == 404:
                hint = (" (no such route: FATE Flow 1.x has no /v2 API, give `dsl` and `runtime_conf` for it; "
                        "FATE Flow 2.x has no /v1 API, give `dag`)")
            raise FateFlowError(response.status_code, f"HTTP {response.status_code}, not a FATE Flow answer: "
                                f"{response.text[:200]!r}{hint}", path, self.endpoint) from None
        if not isinstance(payload, dict) or code_key not in payload:
            raise FateFlowError(response.status_code, f"an answer without `{code_key}`: {str(payload)[:200]!r}; "
                                "is the endpoint a FATE Flow of the version this job targets?", path, self.endpoint)
        code = payload[code_key]
        if code != 0:
            message = payload.get("message") or payload.get("retmsg") or ""
            raise FateFlowError(int(code) if str(code).lstrip("-").isdigit() else -1, str(message), path,
                                self.endpoint)
        return payload

    # --- one vocabulary over both API versions -----------------------------------------------------

    def submit(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Submit the job: (job id, {model_id, model_version})."""
        if self.v1:
            dsl = fate_dag.parse_mapping(props["dsl"], "dsl")
            conf = fate_dag.parse_mapping(props["runtime_conf"], "runtime_conf")
            answer = self.call("POST", "/v1/job/submit", body={"job_dsl": dsl, "job_runtime_conf": conf},
                               idempotent=False)
            model = (answer.get("data") or {}).get("model_info") or {}
            job_id = answer.get("jobId") or answer.get("job_id")
        else:
            answer = self.call("POST", "/v2/job/submit", body={"dag_schema": fate_dag.parse_dag(props["dag"])},
                               idempotent=False)
            model = answer.get("data") or {}
            job_id = answer.get("job_id")
        if not job_id:
            raise FateFlowError(0, f"the submit answer carries no job id: {str(answer)[:200]!r}", "submit",
                                self.endpoint)
        return str(job_id), {"model_id": model.get("model_id"), "model_version": text_or_none(model.get("model_version"))}

    def job_rows(self, job_id: str) -> list[dict[str, Any]] | None:
        """One row per role and party (role, party_id, status, progress, times, model), or None when FATE
        Flow does not know the job."""
        if self.v1:
            rows = self.call("POST", "/v1/job/query", body={"job_id": job_id}).get("data") or []
            return [{"role": r.get("f_role"), "party_id": r.get("f_party_id"), "status": r.get("f_status"),
                     "progress": r.get("f_progress"), "start_time": r.get("f_start_time"),
                     "end_time": r.get("f_end_time")} for r in rows] or None
        try:
            return list(self.call("GET", "/v2/job/query", params={"job_id": job_id}).get("data") or []) or None
        except FateFlowError as error:
            if error.code == NO_SUCH_JOB_V2:
                return None
            raise

    def task_rows(self, job_id: str) -> list[dict[str, Any]]:
        """One row per task, role and party (task_name, status, error_report); [] when none are known."""
        try:
            if self.v1:
                rows = self.call("POST", "/v1/job/task/query", body={"job_id": job_id}).get("data") or []
                return [{"task_name": r.get("f_component_name"), "role": r.get("f_role"),
                         "party_id": r.get("f_party_id"), "status": r.get("f_status"), "error_report": None}
                        for r in rows]
            return list(self.call("GET", "/v2/job/task/query", params={"job_id": job_id}).get("data") or [])
        except FateFlowError:
            return []  # FATE Flow answers "no such task" (2000 / 101) before the tasks are scheduled

    def stop(self, job_id: str) -> None:
        """Stop the job (idempotent in FATE Flow); a job FATE Flow does not know is already gone."""
        try:
            self.call("POST", "/v1/job/stop" if self.v1 else "/v2/job/stop", body={"job_id": job_id})
        except FateFlowError as error:
            if error.code not in ((*NO_SUCH_JOB_V1,) if self.v1 else (NO_SUCH_JOB_V2,)):
                raise


def text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
