"""FateJob provider branches without a server: check, diff, create/read/update/delete, faults, 1.x, pickling.

Test doubles, said plainly: FATE Flow is replaced here by httpx.MockTransport handlers answering in the
shapes a real FATE Flow 2.2.0 answered (tests/test_fate_job_fateflow.py runs the real one), and the clock
is a fake one so deadlines and backoff are exact. The FATE 1.x path is tested ONLY against recorded
responses, in the shapes FATE Flow 1.x's job_app answers (`retcode`, `jobId`, `f_status` rows, `data: []`
for an unknown job): no 1.x server can be installed here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dill
import httpx
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi.runtime.rpc import UNKNOWN

from components import fateflow_client as client
from components.fate_job_provider import FateJobProvider
from components.fate_job_status import FateJobFailed, job_status
from components.fateflow_client import FateFlowApi, FateFlowError, FateFlowUnreachable, sign
from components.fateconf.fate_dag import toy_example_dag, toy_example_v1

ENDPOINT = "http://fateflow.test:9380"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Clock:
    """A fake monotonic clock: sleeping advances it, and every sleep is recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 4))
        self.now += seconds


@dataclass
class Fake:
    """The recorded FATE Flow in use: every request it saw."""

    seen: list[httpx.Request] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.seen]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(client, "sleep", fake.sleep)
    monkeypatch.setattr(client, "monotonic", lambda: fake.now)
    return fake


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Callable[[Handler], Fake]:
    def install(handler: Handler) -> Fake:
        fake = Fake()

        def record(request: httpx.Request) -> httpx.Response:
            fake.seen.append(request)
            return handler(request)

        monkeypatch.setattr(client, "make_client", lambda base_url, timeout_s: httpx.Client(
            base_url=base_url, transport=httpx.MockTransport(record)))
        return fake

    return install


def props(**extra: Any) -> dict[str, Any]:
    return {"endpoint": ENDPOINT, "dag": toy_example_dag(9999, 10000), **extra}


def ok(**body: Any) -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "message": "success", **body})


def no_such_job(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"code": 1001, "message": "No found job: job_id[j1]"})


def job_rows(guest: str, host: str | None = None) -> list[dict[str, Any]]:
    def row(role: str, party: str, status: str) -> dict[str, Any]:
        ended = status in ("success", "failed", "canceled", "timeout")
        return {"job_id": "j1", "role": role, "party_id": party, "status": status,
                "progress": 100 if status == "success" else 40, "start_time": 1795345229821,
                "end_time": 1795345253247 if ended else None, "model_id": "j1", "model_version": "0"}
    return [row("guest", "9999", guest), row("host", "10000", host or guest)]


def fateflow(statuses: list[Any], tasks: list[dict[str, Any]] | None = None) -> Handler:
    """A recorded FATE Flow 2.x: submit answers job j1, then each job query answers the next entry of
    `statuses` (a status word, an exception to raise, or a ready Response); the last one repeats."""
    queue = list(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v2/job/submit":
            return ok(job_id="j1", data={"model_id": "j1", "model_version": "0"})
        if path == "/v2/job/query":
            step = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(step, Exception):
                raise step
            if isinstance(step, httpx.Response):
                return step
            return ok(data=job_rows(step))
        if path == "/v2/job/task/query":
            return ok(data=tasks or [{"task_name": "toy_example_0", "role": "guest", "party_id": "9999",
                                      "status": "success", "error_report": None}])
        if path == "/v2/job/stop":
            return ok()
        return httpx.Response(404, text="<html>Not Found</html>")

    return handle


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


# --- check ---------------------------------------------------------------------------------------------


def failures(news: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for failure in FateJobProvider().check({}, news).failures:
        found[failure.property] = (found.get(failure.property, "") + " | " + failure.reason).strip(" |")
    return found


def test_check_accepts_the_toy_job_and_fills_the_polling_defaults() -> None:
    result = FateJobProvider().check({}, props())
    assert result.failures == []
    assert {key: result.inputs[key] for key in ("wait", "timeout_s", "poll_interval_s", "max_poll_interval_s")} \
        == {"wait": True, "timeout_s": 3600.0, "poll_interval_s": 1.0, "max_poll_interval_s": 3.0}
    assert FateJobProvider().check({}, props(timeout_s=60)).inputs["timeout_s"] == 60
    assert FateJobProvider().check({}, props(wait=None, timeout_s=None)).inputs["wait"] is True


def test_check_accepts_yaml_text_and_the_1x_toy() -> None:
    assert failures(props(dag="schema_version: 2.0.0\ndag:\n  parties: [{role: local, party_id: ['9999']}]\n"
                              "  tasks: {t: {component_ref: toy_example}}\n")) == {}
    dsl, conf = toy_example_v1(9999, 10000)
    assert failures({"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": json.dumps(conf)}) == {}


@pytest.mark.parametrize("news, prop, reason", [
    ({"dag": toy_example_dag(9999, 10000)}, "endpoint", "required: FATE Flow's base URL"),
    (props(endpoint="fateflow:9380"), "endpoint", "not an http(s) URL"),
    (props(endpoint="http://"), "endpoint", "not an http(s) URL"),
    ({"endpoint": ENDPOINT}, "dag", "required: the FATE 2.x DAG"),
    (props(dsl={"components": {}}), "dag", "not both"),
    (props(dag={"schema_version": "2.0.0", "dag": {"parties": [], "tasks": {"t": {"component_ref": "c"}}}}),
     "dag", "dag.parties: list the parties"),
    (props(dag="dag: [unclosed"), "dag", "not valid YAML"),
    (props(dag={"schema_version": "2.0.0", "dag": {"parties": [{"role": "guest", "party_id": ["x"]}],
                                                    "tasks": {"a": {"component_ref": "toy_example"}}}}),
     "dag", "dag.parties[0].party_id[0]: 'x' is not a party id"),
    (props(dag={"schema_version": "2.0.0", "dag": {"parties": [{"role": "guest", "party_id": ["9999"]}],
                                                    "tasks": {"a": {"component_ref": "c", "dependent_tasks": ["b"]}}}}),
     "dag", "dag.tasks.a.dependent_tasks: depends on 'b'"),
    ({"endpoint": ENDPOINT, "dsl": {"components": {}}}, "runtime_conf", "required with a FATE 1.x job"),
    ({"endpoint": ENDPOINT, "runtime_conf": {}}, "dsl", "required with a FATE 1.x job"),
    ({"endpoint": ENDPOINT, "dsl": "[", "runtime_conf": toy_example_v1(9999, 10000)[1]}, "dsl", "not valid YAML/JSON"),
    ({"endpoint": ENDPOINT, "dsl": toy_example_v1(9999, 10000)[0], "runtime_conf": {"role": {"guest": [9999]}}},
     "runtime_conf", "initiator: name the submitting party"),
    (props(timeout_s=0), "timeout_s", "positive number"),
    (props(timeout_s=True), "timeout_s", "positive number"),
    (props(timeout_s="60"), "timeout_s", "positive number"),
    (props(poll_interval_s=-1), "poll_interval_s", "positive number"),
    (props(poll_interval_s=5, max_poll_interval_s=2), "max_poll_interval_s", "below poll_interval_s=5"),
    (props(wait="yes"), "wait", "true or false"),
    (props(app_id="a"), "app_token", "go together"),
    (props(app_token="t"), "app_id", "go together"),
    (props(party_id=0), "party_id", "out of FATE's range"),
    (props(party_id=777), "party_id", "party 777 is not one of the DAG's parties [9999, 10000]"),
])
def test_check_failures_name_the_property(news: dict[str, Any], prop: str, reason: str) -> None:
    found = failures(news)
    assert prop in found, found
    assert reason in found[prop]


def test_check_in_preview_accepts_unknown_values() -> None:
    assert failures({"endpoint": UNKNOWN, "dag": UNKNOWN, "timeout_s": UNKNOWN, "wait": UNKNOWN,
                     "party_id": UNKNOWN, "app_id": UNKNOWN, "app_token": UNKNOWN}) == {}
    partly_known = toy_example_dag(9999, 10000)
    partly_known["dag"]["parties"][1]["party_id"] = [UNKNOWN]
    assert failures(props(dag=partly_known)) == {}
    assert failures({"endpoint": ENDPOINT, "dsl": UNKNOWN, "runtime_conf": UNKNOWN}) == {}


# --- diff ----------------------------------------------------------------------------------------------


def diff(olds: dict[str, Any], news: dict[str, Any]) -> Any:
    stored = {**olds, "job_id": "j1", "status": "success", "__provider": "a"}
    return FateJobProvider().diff("j1", stored, {**news, "__provider": "b"})


def test_no_change_no_diff_even_when_defaults_were_filled_later() -> None:
    result = diff(props(), props(wait=True, timeout_s=3600.0))
    assert result.changes is False and result.replaces == []


def test_cosmetic_dag_changes_are_not_a_new_run() -> None:
    as_yaml = ("schema_version: 2.0.0.alpha\ndag:\n  stage: default\n  parties:\n"
               "  - {role: guest, party_id: ['9999']}\n  - {role: host, party_id: ['10000']}\n"
               "  tasks:\n    toy_example_0:\n      parameters: {partition: 4, data_num: 1024}\n"
               "      component_ref: toy_example\n")
    assert diff(props(), props(dag=as_yaml)).replaces == []
    assert diff(props(), props(dag={"dag_schema": toy_example_dag(9999, 10000)})).replaces == []
    dsl, conf = toy_example_v1(9999, 10000)
    v1 = {"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": conf}
    assert diff(v1, {**v1, "dsl": json.dumps(dsl), "runtime_conf": json.dumps(conf, indent=2)}).replaces == []


def test_a_new_dag_is_a_new_run() -> None:
    assert diff(props(), props(dag=toy_example_dag(9999, 10000, data_num=10))).replaces == ["dag"]
    assert diff(props(), props(dag=toy_example_dag(10000, 9999))).replaces == ["dag"]


def test_another_party_is_a_new_run() -> None:
    assert diff(props(), props(party_id=10000)).replaces == ["party_id"]
    assert diff(props(party_id=10000), props(party_id=9999)).replaces == ["party_id"]
    assert diff(props(), props(party_id=9999)).replaces == []  # the DAG's initiator already


def test_settings_update_in_place() -> None:
    for change in ({"endpoint": "http://other:9380"}, {"timeout_s": 600}, {"wait": False},
                   {"poll_interval_s": 2}, {"app_id": "a", "app_token": "t"}):
        result = diff(props(), props(**change))
        assert result.changes is True and result.replaces == [], change
    assert diff(props(app_id="a", app_token="t"), props(app_id="a", app_token="t2")).replaces == []


def test_unknown_definition_or_party_in_preview_may_replace() -> None:
    assert diff(props(), props(dag=UNKNOWN)).replaces == ["dag"]
    assert diff(props(), props(party_id=UNKNOWN)).replaces == ["party_id"]
    result = diff(props(), props(endpoint=UNKNOWN))
    assert result.changes is True and result.replaces == []


def test_switching_api_versions_is_a_new_run() -> None:
    dsl, conf = toy_example_v1(9999, 10000)
    v1 = {"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": conf}
    assert diff(props(), v1).replaces == ["dag", "dsl", "runtime_conf"]
    other = {**v1, "runtime_conf": {**conf, "initiator": {"role": "host", "party_id": 10000}}}
    assert diff(v1, other).replaces == ["runtime_conf"]


# --- create --------------------------------------------------------------------------------------------


def test_create_follows_the_job_to_success(serve: Any, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    fake = serve(fateflow(["waiting", "running", "running", "running", "running", "running", "success"]))
    result = FateJobProvider().create(props(dag=json.dumps(toy_example_dag(9999, 10000))))
    assert result.id == "j1"
    outs = result.outs
    assert (outs["status"], outs["progress"], outs["timed_out"]) == ("success", 100, False)
    assert outs["party_statuses"] == {"guest:9999": "success", "host:10000": "success"}
    assert outs["task_statuses"] == {"toy_example_0": {"guest:9999": "success"}}
    assert (outs["model_id"], outs["model_version"]) == ("j1", "0")
    assert (outs["start_time"], outs["end_time"]) == ("2026-11-22T11:00:29.821Z", "2026-11-22T11:00:53.247Z")
    assert outs["endpoint"] == ENDPOINT  # the inputs stay in the state, for diff and refresh
    submitted = json.loads(fake.seen[0].content)
    assert submitted == {"dag_schema": toy_example_dag(9999, 10000)}  # YAML/JSON text goes as a mapping
    assert fake.paths() == ["/v2/job/submit"] + ["/v2/job/query"] * 7 + ["/v2/job/task/query"]
    assert clock.sleeps == [1.0, 1.5, 2.25, 3.0, 3.0, 3.0]  # the default polling policy
    progress = capsys.readouterr().err
    assert "info: FATE job j1 submitted to http://fateflow.test:9380" in progress
    assert "FATE job j1: running 40%" in progress and "FATE job j1: success 100%" in progress
    assert progress.count("running 40%") == 1  # a line per change, not per poll


def test_polling_policy_inputs_are_used(serve: Any, clock: Clock) -> None:
    serve(fateflow(["running", "running", "running", "success"]))
    FateJobProvider().create(props(poll_interval_s=0.2, max_poll_interval_s=0.3))
    assert clock.sleeps == [0.2, 0.3, 0.3]


def test_a_failed_job_names_its_tasks_error_reports_and_id(serve: Any) -> None:
    serve(fateflow(["running", "failed"], tasks=[
        {"task_name": "lr_0", "role": "guest", "party_id": "9999", "status": "failed",
         "error_report": "Traceback ...\nValueError: bad penalty"},
        {"task_name": "lr_0", "role": "host", "party_id": "10000", "status": "canceled", "error_report": ""},
        {"task_name": "reader_0", "role": "guest", "party_id": "9999", "status": "success", "error_report": ""}]))
    with pytest.raises(FateJobFailed) as error:
        FateJobProvider().create(props())
    message = str(error.value)
    assert message.startswith(f"FATE job j1 ended failed at {ENDPOINT}")
    assert "task lr_0 at guest:9999: failed\n    Traceback ...\n    ValueError: bad penalty" in message
    assert "task lr_0 at host:10000: canceled\n    (FATE Flow kept no error report" in message
    assert "reader_0" not in message
    assert "Pulumi records no FateJob when its create fails" in message


@pytest.mark.parametrize("status", ["canceled", "timeout"])
def test_canceled_or_fate_timeout_fails_the_update(serve: Any, status: str) -> None:
    serve(fateflow(["running", status], tasks=[]))
    with pytest.raises(FateJobFailed, match=f"FATE job j1 ended {status}") as error:
        FateJobProvider().create(props())
    assert "no task reported an error" in str(error.value)


def test_guest_done_before_host_is_still_running() -> None:
    assert job_status(["success", "running"]) == "running"
    assert job_status(["success", "failed"]) == "failed"
    assert job_status(["waiting", "ready"]) == "ready"
    assert job_status([]) == "waiting"


def test_deadline_stops_waiting_and_records_the_job(serve: Any, clock: Clock,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    serve(fateflow(["running"]))
    result = FateJobProvider().create(props(timeout_s=10))
    assert result.id == "j1"
    assert (result.outs["status"], result.outs["timed_out"], result.outs.get("end_time")) == ("running", True, None)
    assert sum(clock.sleeps) == pytest.approx(10)  # the deadline is exact, not a poll later
    warning = capsys.readouterr().err
    assert "warning: FATE job j1 is still running after timeout_s=10" in warning
    assert "Run `pulumi refresh` to read its status later" in warning


def test_no_wait_returns_after_submit(serve: Any) -> None:
    fake = serve(fateflow(["waiting"]))
    result = FateJobProvider().create(props(wait=False))
    assert (result.id, result.outs["status"], result.outs["timed_out"]) == ("j1", "waiting", False)
    assert fake.paths() == ["/v2/job/submit", "/v2/job/query"]


def test_a_non_zero_code_is_an_error_with_its_message(serve: Any) -> None:
    serve(lambda request: httpx.Response(200, json={"code": 5001, "message": "invalid parameters: dag_schema"}))
    with pytest.raises(FateFlowError, match=f"FATE Flow at {ENDPOINT} answered /v2/job/submit with code 5001: "
                                            "invalid parameters: dag_schema"):
        FateJobProvider().create(props())


def test_a_server_that_is_not_fate_flow_2_says_so(serve: Any) -> None:
    serve(lambda request: httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(FateFlowError, match="FATE Flow 1.x has no /v2 API, give `dsl` and `runtime_conf`"):
        FateJobProvider().create(props())
    serve(lambda request: httpx.Response(200, json={"retcode": 0}))
    with pytest.raises(FateFlowError, match="an answer without `code`"):
        FateJobProvider().create(props())


def test_an_unreachable_endpoint_is_retried_with_backoff_then_given_up(serve: Any, clock: Clock) -> None:
    fake = serve(refused)
    with pytest.raises(FateFlowUnreachable) as error:
        FateJobProvider().create(props())
    assert str(error.value).startswith(f"FATE Flow at {ENDPOINT} did not answer POST /v2/job/submit after 5 tries "
                                       "(ConnectError: [Errno 111] Connection refused)")
    assert "Check the FateJob's `endpoint`" in str(error.value)
    assert len(fake.seen) == 5 and clock.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_retries_stop_at_the_deadline(serve: Any, clock: Clock) -> None:
    fake = serve(refused)
    with pytest.raises(FateFlowUnreachable, match="after 3 tries"):
        FateJobProvider().create(props(timeout_s=2))
    assert len(fake.seen) == 3 and clock.sleeps == [0.5, 1.0]


def test_a_submit_that_may_have_arrived_is_not_retried(serve: Any) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake = serve(slow)
    with pytest.raises(FateFlowUnreachable, match="after 1 try") as error:
        FateJobProvider().create(props())
    assert "The submit was not retried" in str(error.value) and len(fake.seen) == 1


def test_fate_flow_restarting_while_the_job_runs_is_waited_out(serve: Any, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    down = httpx.ConnectError("[Errno 111] Connection refused")
    starting = httpx.Response(200, json={"code": 6000, "message": "database is locked"})
    serve(fateflow(["running", down, down, down, down, down, starting, "running", "success"]))
    result = FateJobProvider().create(props())
    assert result.outs["status"] == "success"
    err = capsys.readouterr().err
    assert "did not answer GET /v2/job/query" in err and "code 6000: database is locked" in err
    assert "still waiting (until timeout_s)" in err


def test_a_job_that_vanishes_while_it_runs_fails(serve: Any) -> None:
    serve(fateflow(["running", no_such_job(httpx.Request("GET", ENDPOINT))]))
    with pytest.raises(FateJobFailed, match="FATE job j1 disappeared from FATE Flow"):
        FateJobProvider().create(props())


def test_an_unexpected_answer_after_submit_stops_the_job_before_failing(serve: Any) -> None:
    fake = serve(fateflow(["running", ok(data="not rows")]))
    with pytest.raises(FateJobFailed) as error:
        FateJobProvider().create(props())
    assert str(error.value).startswith(f"FATE job j1 was submitted to {ENDPOINT}, then following it failed "
                                       "(AttributeError: ")
    assert "the job was stopped" in str(error.value) and fake.paths()[-1] == "/v2/job/stop"


def test_no_wait_create_records_the_job_even_if_its_status_cannot_be_read(serve: Any) -> None:
    serve(fateflow([httpx.ConnectError("[Errno 111] Connection refused")]))
    result = FateJobProvider(retries=0).create(props(wait=False))
    assert (result.id, result.outs["status"], result.outs["job_id"]) == ("j1", "waiting", "j1")


# --- read / update / delete ----------------------------------------------------------------------------


def test_read_reports_the_current_status(serve: Any) -> None:
    serve(fateflow(["running"]))
    stored = {**props(), "job_id": "j1", "status": "waiting", "timed_out": True}
    read = FateJobProvider().read("j1", stored)
    assert (read.id, read.outs["status"], read.outs["timed_out"]) == ("j1", "running", True)
    assert read.outs["dag"] == stored["dag"]
    serve(fateflow(["success"]))
    read = FateJobProvider().read("j1", stored)
    assert (read.outs["status"], read.outs["timed_out"]) == ("success", False)
    assert read.outs["task_statuses"] == {"toy_example_0": {"guest:9999": "success"}}


def test_a_job_fate_flow_no_longer_knows_reads_as_gone(serve: Any) -> None:
    serve(no_such_job)
    gone = FateJobProvider().read("j1", props())
    assert gone.id is None and gone.outs == {}


def test_read_of_an_unreachable_endpoint_fails_rather_than_forgetting(serve: Any) -> None:
    serve(refused)
    with pytest.raises(FateFlowUnreachable):
        FateJobProvider().read("j1", props())


def test_update_of_settings_keeps_the_run_and_its_outputs(serve: Any) -> None:
    fake = serve(fateflow(["success"]))
    olds = {**props(), "job_id": "j1", "status": "success", "model_id": "j1", "timed_out": False}
    result = FateJobProvider().update("j1", olds, props(endpoint="http://other:9380", timeout_s=60))
    assert (result.outs["job_id"], result.outs["status"], result.outs["model_id"]) == ("j1", "success", "j1")
    assert (result.outs["endpoint"], result.outs["timeout_s"]) == ("http://other:9380", 60)
    assert fake.seen == []


def test_update_resumes_waiting_for_a_run_recorded_unfinished(serve: Any) -> None:
    fake = serve(fateflow(["running", "success"]))
    olds = {**props(timeout_s=10), "job_id": "j1", "status": "running", "timed_out": True}
    result = FateJobProvider().update("j1", olds, props(timeout_s=600))
    assert (result.outs["status"], result.outs["timed_out"]) == ("success", False)
    assert "/v2/job/submit" not in fake.paths()
    serve(fateflow(["running", "failed"], tasks=[]))
    with pytest.raises(FateJobFailed, match="a failed update keeps the state recorded before it"):
        FateJobProvider().update("j1", olds, props(timeout_s=600))
    fake = serve(fateflow(["running"]))
    assert FateJobProvider().update("j1", olds, props(wait=False)).outs["status"] == "running"
    assert fake.seen == []


def test_delete_stops_a_running_job_only(serve: Any) -> None:
    fake = serve(fateflow(["running", "canceled"]))
    FateJobProvider().delete("j1", props())
    assert fake.paths() == ["/v2/job/query", "/v2/job/stop", "/v2/job/query", "/v2/job/task/query"]
    assert json.loads(fake.seen[1].content) == {"job_id": "j1"}
    fake = serve(fateflow(["success"]))
    FateJobProvider().delete("j1", props())
    assert "/v2/job/stop" not in fake.paths()
    fake = serve(no_such_job)
    FateJobProvider().delete("j1", props())
    assert fake.paths() == ["/v2/job/query"]


def test_stop_is_idempotent(serve: Any) -> None:
    serve(no_such_job)
    with FateFlowApi(ENDPOINT) as api:
        api.stop("j1")  # FATE Flow forgot the job: nothing left to stop
    serve(lambda request: httpx.Response(200, json={"code": 6000, "message": "boom"}))
    with FateFlowApi(ENDPOINT) as api, pytest.raises(FateFlowError, match="code 6000: boom"):
        api.stop("j1")


# --- FATE Flow client authentication -------------------------------------------------------------------


def fate_flow_verifies(headers: httpx.Headers, token: str) -> bool:
    """FATE Flow 2.2's own check (Authentication.md5_sign with initiator_party_id ''), restated."""
    key = hashlib.md5((headers["appId"] + headers["userName"] + "" + headers["Nonce"] + headers["Timestamp"])
                      .encode("utf8")).hexdigest().lower()
    return hashlib.md5((key + token).encode("utf8")).hexdigest().lower() == headers["Signature"]


def test_requests_are_signed_as_fate_flow_2_expects(serve: Any) -> None:
    fake = serve(fateflow(["success"]))
    FateJobProvider().create(props(app_id="app-1", app_token="s3cret-token"))
    assert len(fake.seen) == 3
    for request in fake.seen:
        headers = request.headers
        assert headers["appId"] == "app-1" and len(headers["Nonce"]) == 4 and headers["Nonce"].isdigit()
        assert fate_flow_verifies(headers, "s3cret-token")
        assert not fate_flow_verifies(headers, "other-token")
        assert "s3cret-token" not in str(request.headers) and b"s3cret-token" not in request.content
    assert len({request.headers["Nonce"] + request.headers["Timestamp"] for request in fake.seen}) >= 2


def test_no_credentials_no_signature_headers(serve: Any) -> None:
    fake = serve(fateflow(["success"]))
    FateJobProvider().create(props())
    assert all("Signature" not in request.headers for request in fake.seen)


def test_sign_is_deterministic_for_a_given_nonce_and_time() -> None:
    headers = sign("app", "token", nonce="0042", timestamp="1795345229821")
    expected = hashlib.md5((hashlib.md5(b"app00421795345229821").hexdigest() + "token").encode()).hexdigest()
    assert headers == {"appId": "app", "userName": "", "Nonce": "0042", "Timestamp": "1795345229821",
                       "Signature": expected}


# --- FATE 1.x, against recorded responses (no 1.x server can run here) ----------------------------------


def v1_server(statuses: list[str], job_known: bool = True) -> Handler:
    """Recorded FATE Flow 1.x answers (job_app.py): retcode/retmsg, jobId, f_-prefixed rows."""
    queue = list(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/job/submit":
            assert set(json.loads(request.content)) == {"job_dsl", "job_runtime_conf"}
            return httpx.Response(200, json={
                "retcode": 0, "retmsg": "success", "jobId": "202611221200000000001",
                "data": {"model_info": {"model_id": "guest-9999#host-10000#model",
                                        "model_version": "202611221200000000001"},
                         "board_url": "http://fateboard:8080/index.html#/dashboard?job_id=202611221200000000001"}})
        if path == "/v1/job/query":
            if not job_known:
                return httpx.Response(200, json={"retcode": 0, "retmsg": "no job could be found", "data": []})
            status = queue.pop(0) if len(queue) > 1 else queue[0]
            return httpx.Response(200, json={"retcode": 0, "retmsg": "success", "data": [
                {"f_job_id": "202611221200000000001", "f_role": role, "f_party_id": party, "f_status": status,
                 "f_progress": 100 if status == "success" else 50, "f_start_time": 1795345229821,
                 "f_end_time": 1795345253247 if status != "running" else None}
                for role, party in (("guest", 9999), ("host", 10000))]})
        if path == "/v1/job/task/query":
            return httpx.Response(200, json={"retcode": 0, "retmsg": "success", "data": [
                {"f_component_name": "secure_add_example_0", "f_role": "guest", "f_party_id": 9999,
                 "f_status": queue[-1]}]})
        if path == "/v1/job/stop":
            return httpx.Response(200, json={"retcode": 0, "retmsg": "stop job success"})
        return httpx.Response(404)

    return handle


def v1_props(**extra: Any) -> dict[str, Any]:
    dsl, conf = toy_example_v1(9999, 10000)
    return {"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": conf, **extra}


def test_v1_toy_job_runs_to_success(serve: Any) -> None:
    fake = serve(v1_server(["waiting", "running", "success"]))
    result = FateJobProvider().create(v1_props())
    assert result.id == "202611221200000000001"
    assert (result.outs["status"], result.outs["model_id"]) == ("success", "guest-9999#host-10000#model")
    assert result.outs["party_statuses"] == {"guest:9999": "success", "host:10000": "success"}
    assert result.outs["task_statuses"] == {"secure_add_example_0": {"guest:9999": "success"}}
    assert fake.paths()[0] == "/v1/job/submit" and "/v2/job/query" not in fake.paths()


def test_v1_failed_job_names_the_component(serve: Any) -> None:
    serve(v1_server(["running", "failed"]))
    with pytest.raises(FateJobFailed, match="task secure_add_example_0 at guest:9999: failed"):
        FateJobProvider().create(v1_props())


def test_v1_refresh_and_delete(serve: Any) -> None:
    fake = serve(v1_server(["running"]))
    assert FateJobProvider().read("202611221200000000001", v1_props()).outs["status"] == "running"
    FateJobProvider().delete("202611221200000000001", v1_props())
    assert "/v1/job/stop" in fake.paths()
    serve(v1_server(["running"], job_known=False))
    assert FateJobProvider().read("202611221200000000001", v1_props()).id is None


def test_v1_error_codes_are_read_from_retcode(serve: Any) -> None:
    serve(lambda request: httpx.Response(200, json={"retcode": 100, "retmsg": "work_mode is required"}))
    with pytest.raises(FateFlowError, match="code 100: work_mode is required"):
        FateJobProvider().create(v1_props())


# --- pickling -------------------------------------------------------------------------------------------


def test_the_provider_pickles_by_reference_with_plain_data() -> None:
    provider = FateJobProvider(retries=2, backoff_s=0.25)
    assert vars(provider) == {"retries": 2, "backoff_s": 0.25}
    blob = base64.b64decode(serialize_provider(provider))
    assert len(blob) < 300 and b"components.fate_job_provider" in blob  # a reference, not bytecode
    restored = dill.loads(blob)
    assert type(restored) is FateJobProvider and vars(restored) == vars(provider)


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any test that forgot `serve` fails instead of reaching out."""
    def refuse(base_url: str, timeout_s: float) -> httpx.Client:
        raise AssertionError("a unit test tried to reach FATE Flow")

    monkeypatch.setattr(client, "make_client", refuse)
    yield
