"""FateJob provider branches without a server: check, diff, faults, FATE 1.x, pickling.

FATE Flow is replaced by httpx.MockTransport handlers here (the real server is in
tests/test_fate_job_fateflow.py). The FATE 1.x path is tested only against recorded responses, in the
shapes FATE Flow 1.x documents (`retcode`, `jobId`, `f_status` rows): no 1.x server can be installed here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import dill
import httpx
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components import fate_job_provider as module
from components.fate_job_provider import (
    UNKNOWN,
    FateFlowApi,
    FateFlowUnreachable,
    FateJobFailed,
    FateJobProvider,
)
from components.fateconf.fate_dag import toy_example_dag, toy_example_v1

ENDPOINT = "http://fateflow.test:9380"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], list[httpx.Request]]:
    def install(handler: Handler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        monkeypatch.setattr(module, "make_client", lambda base_url, timeout_s: httpx.Client(
            base_url=base_url, transport=httpx.MockTransport(record)))
        monkeypatch.setattr(module.time, "sleep", lambda _s: None)
        return seen

    return install


def props(**extra: Any) -> dict[str, Any]:
    return {"endpoint": ENDPOINT, "dag": toy_example_dag(9999, 10000), "wait": True, "timeout_s": 60, **extra}


def rows(status: str, host_status: str | None = None, end: int | None = 2000) -> dict[str, Any]:
    def row(role: str, party: str, st: str) -> dict[str, Any]:
        done = st in ("success", "failed", "canceled", "timeout")
        return {"role": role, "party_id": party, "status": st, "progress": 100 if done else 40,
                "start_time": 1000, "end_time": end if done else None, "model_id": "m1", "model_version": "0"}
    return {"code": 0, "data": [row("guest", "9999", status), row("host", "10000", host_status or status)]}


def fateflow(statuses: list[str], tasks: list[dict[str, Any]] | None = None) -> Handler:
    """A recorded FATE Flow 2.x: submit, then the given statuses one query at a time."""
    queue = list(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/job/submit":
            return httpx.Response(200, json={"code": 0, "job_id": "j1", "data": {"model_id": "m1", "model_version": "0"}})
        if request.url.path == "/v2/job/query":
            return httpx.Response(200, json=rows(queue.pop(0) if len(queue) > 1 else queue[0]))
        if request.url.path == "/v2/job/task/query":
            return httpx.Response(200, json={"code": 0, "data": tasks or []})
        if request.url.path == "/v2/job/stop":
            return httpx.Response(200, json={"code": 0, "message": "success"})
        return httpx.Response(404)

    return handle


# --- check ---------------------------------------------------------------------------------------------


def failures(news: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for failure in FateJobProvider().check({}, news).failures:
        found[failure.property] = (found.get(failure.property, "") + " | " + failure.reason).strip(" |")
    return found


def test_check_accepts_the_toy_job() -> None:
    assert failures(props()) == {}


@pytest.mark.parametrize("news, prop, reason", [
    ({"dag": toy_example_dag(9999, 10000)}, "endpoint", "required"),
    (props(endpoint="fateflow:9380"), "endpoint", "not an http(s) URL"),
    ({"endpoint": ENDPOINT}, "dag", "either `dag`"),
    (props(dsl={"components": {}}), "dag", "either `dag`"),
    (props(dag={"dag": {"parties": [], "tasks": {}}}), "dag", "list the parties"),
    (props(dag="dag: [unclosed"), "dag", "not valid YAML"),
    (props(dag={"schema_version": "2.0.0", "dag": {"parties": [{"role": "guest", "party_id": ["x"]}],
                                                    "tasks": {"a": {"component_ref": "toy_example"}}}}),
     "dag", "dag.parties[0].party_id[0]"),
    (props(dag={"schema_version": "2.0.0", "dag": {"parties": [{"role": "guest", "party_id": ["9999"]}],
                                                    "tasks": {"a": {"component_ref": "c", "dependent_tasks": ["b"]}}}}),
     "dag", "depends on 'b'"),
    ({"endpoint": ENDPOINT, "dsl": {"components": {}}}, "runtime_conf", "required with a FATE 1.x job"),
    ({"endpoint": ENDPOINT, "dsl": "not json", "runtime_conf": {}}, "dsl", "must be a mapping"),
    (props(timeout_s=0), "timeout_s", "positive number"),
    (props(poll_interval_s=-1), "poll_interval_s", "positive number"),
    (props(wait="yes"), "wait", "true or false"),
    (props(app_id="a"), "app_token", "go together"),
    (props(party_id=0), "party_id", "out of FATE's range"),
])
def test_check_failures_name_the_property(news: dict[str, Any], prop: str, reason: str) -> None:
    found = failures(news)
    assert prop in found, found
    assert reason in found[prop]


def test_check_in_preview_skips_unknown_values() -> None:
    assert failures({"endpoint": UNKNOWN, "dag": UNKNOWN, "timeout_s": UNKNOWN, "wait": UNKNOWN}) == {}


# --- diff ----------------------------------------------------------------------------------------------


def diff(olds: dict[str, Any], news: dict[str, Any]) -> Any:
    return FateJobProvider().diff("j1", {**olds, "__provider": "a"}, {**news, "__provider": "b"})


def test_no_change_no_diff() -> None:
    result = diff(props(), props())
    assert result.changes is False and result.replaces == []


def test_cosmetic_dag_change_is_not_a_new_run() -> None:
    as_yaml = "schema_version: 2.0.0.alpha\ndag:\n  stage: default\n  parties:\n" \
              "  - {role: guest, party_id: ['9999']}\n  - {role: host, party_id: ['10000']}\n" \
              "  tasks:\n    toy_example_0:\n      parameters: {partition: 4, data_num: 1024}\n" \
              "      component_ref: toy_example\n"
    result = diff(props(), props(dag=as_yaml))
    assert result.replaces == [] and result.changes is True


def test_new_dag_is_a_new_run() -> None:
    assert diff(props(), props(dag=toy_example_dag(9999, 10000, data_num=10))).replaces == ["dag"]


def test_other_initiating_party_is_a_new_run() -> None:
    result = diff(props(), props(party_id=10000))
    assert result.replaces == ["party_id"]


def test_endpoint_or_timeout_change_updates_in_place() -> None:
    result = diff(props(), props(endpoint="http://other:9380", timeout_s=600, wait=False))
    assert result.changes is True and result.replaces == []


def test_unknown_dag_in_preview_may_replace() -> None:
    assert "dag" in diff(props(), props(dag=UNKNOWN)).replaces


def test_switching_to_the_1x_api_is_a_new_run() -> None:
    dsl, conf = toy_example_v1(9999, 10000)
    news = {"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": conf}
    assert set(diff(props(), news).replaces) >= {"dag", "dsl", "runtime_conf"}


def test_update_keeps_the_run_and_its_outputs() -> None:
    olds = {**props(), "job_id": "j1", "status": "success", "model_id": "m1"}
    result = FateJobProvider().update("j1", olds, props(endpoint="http://other:9380"))
    assert result.outs["job_id"] == "j1" and result.outs["status"] == "success"
    assert result.outs["endpoint"] == "http://other:9380"


# --- create / read / delete with recorded answers ------------------------------------------------------


def test_create_tracks_until_success(serve: Any) -> None:
    seen = serve(fateflow(["waiting", "running", "running", "success"]))
    result = FateJobProvider().create(props())
    assert result.id == "j1" and result.outs["status"] == "success" and result.outs["timed_out"] is False
    assert result.outs["end_time"] == "1970-01-01T00:00:02Z"
    assert json.loads(seen[0].content)["dag_schema"]["dag"]["tasks"]["toy_example_0"]["component_ref"] == "toy_example"


def test_failed_job_names_tasks_and_error_reports(serve: Any) -> None:
    serve(fateflow(["running", "failed"], tasks=[
        {"task_name": "lr_0", "role": "guest", "party_id": "9999", "status": "failed",
         "error_report": "ValueError: bad penalty"}]))
    with pytest.raises(FateJobFailed) as error:
        FateJobProvider().create(props())
    assert "FATE job j1 ended failed" in str(error.value)
    assert "task lr_0 at guest:9999: failed" in str(error.value) and "bad penalty" in str(error.value)


@pytest.mark.parametrize("status", ["canceled", "timeout"])
def test_canceled_or_timed_out_job_fails_the_update(serve: Any, status: str) -> None:
    serve(fateflow(["running", status]))
    with pytest.raises(FateJobFailed, match=f"ended {status}"):
        FateJobProvider().create(props())


def test_deadline_stops_waiting_and_records_the_job(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(fateflow(["running"]))
    clock = iter(range(0, 10_000, 30))
    monkeypatch.setattr(module.time, "monotonic", lambda: float(next(clock)))
    result = FateJobProvider().create(props(timeout_s=60))
    assert result.id == "j1" and result.outs["status"] == "running" and result.outs["timed_out"] is True


def test_no_wait_returns_after_submit(serve: Any) -> None:
    serve(fateflow(["waiting"]))
    result = FateJobProvider().create(props(wait=False))
    assert result.id == "j1" and result.outs["status"] == "waiting"


def test_non_zero_code_is_an_error_with_the_message(serve: Any) -> None:
    serve(lambda request: httpx.Response(200, json={"code": 5001, "message": "invalid parameters"}))
    with pytest.raises(module.FateFlowError, match="code 5001: invalid parameters"):
        FateJobProvider().create(props())


def test_unreachable_endpoint_retries_with_backoff_then_stops(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(module.time, "sleep", waits.append)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    seen = serve(refuse)
    monkeypatch.setattr(module.time, "sleep", waits.append)  # after serve(), which stubs sleep too
    with pytest.raises(FateFlowUnreachable, match="did not answer POST /v2/job/submit after 5 tries"):
        FateJobProvider().create(props())
    assert len(seen) == 5 and waits == [0.5, 1.0, 2.0, 4.0]


def test_read_reports_current_status_and_gone(serve: Any) -> None:
    serve(fateflow(["running"]))
    assert FateJobProvider().read("j1", props()).outs["status"] == "running"
    serve(lambda request: httpx.Response(200, json={"code": 1001, "message": "No found job"}))
    gone = FateJobProvider().read("j1", props())
    assert gone.id is None and gone.outs == {}


def test_delete_stops_a_running_job_only(serve: Any) -> None:
    seen = serve(fateflow(["running"]))
    FateJobProvider().delete("j1", props())
    assert [r.url.path for r in seen][-1] == "/v2/job/stop"
    seen = serve(fateflow(["success"]))
    FateJobProvider().delete("j1", props())
    assert "/v2/job/stop" not in [r.url.path for r in seen]
    seen = serve(lambda request: httpx.Response(200, json={"code": 1001, "message": "No found job"}))
    FateJobProvider().delete("j1", props())
    assert [r.url.path for r in seen] == ["/v2/job/query"]


def test_app_token_signature(serve: Any) -> None:
    seen = serve(fateflow(["success"]))
    api = FateFlowApi(ENDPOINT, "app", "token")
    api.query("j1")
    headers = seen[0].headers
    import hashlib
    inner = hashlib.md5(f"app{headers['Nonce']}{headers['Timestamp']}".encode()).hexdigest()
    assert headers["appId"] == "app"
    assert headers["Signature"] == hashlib.md5(f"{inner}token".encode()).hexdigest()
    assert "token" not in str(dict(headers))


# --- FATE 1.x, against recorded responses (no 1.x server can run here) ----------------------------------

def v1_server(status_sequence: list[str]) -> Handler:
    queue = list(status_sequence)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/job/submit":
            body = json.loads(request.content)
            assert set(body) == {"job_dsl", "job_runtime_conf"}
            return httpx.Response(200, json={"retcode": 0, "retmsg": "success", "jobId": "v1job",
                                             "data": {"model_info": {"model_id": "guest-9999#host-10000#model",
                                                                     "model_version": "v1job"}}})
        if path == "/v1/job/query":
            status = queue.pop(0) if len(queue) > 1 else queue[0]
            return httpx.Response(200, json={"retcode": 0, "data": [
                {"f_role": "guest", "f_party_id": "9999", "f_status": status, "f_progress": 50,
                 "f_start_time": 1000, "f_end_time": 3000}]})
        if path == "/v1/job/task/query":
            return httpx.Response(200, json={"retcode": 0, "data": [
                {"f_component_name": "secure_add_example_0", "f_role": "guest", "f_party_id": "9999",
                 "f_status": queue[0]}]})
        if path == "/v1/job/stop":
            return httpx.Response(200, json={"retcode": 0, "retmsg": "success"})
        return httpx.Response(404)

    return handle


def v1_props() -> dict[str, Any]:
    dsl, conf = toy_example_v1(9999, 10000)
    return {"endpoint": ENDPOINT, "dsl": dsl, "runtime_conf": conf, "wait": True, "timeout_s": 60}


def test_v1_toy_job_success(serve: Any) -> None:
    serve(v1_server(["waiting", "running", "success"]))
    result = FateJobProvider().create(v1_props())
    assert result.id == "v1job" and result.outs["status"] == "success"
    assert result.outs["model_id"] == "guest-9999#host-10000#model"


def test_v1_failed_job(serve: Any) -> None:
    serve(v1_server(["running", "failed"]))
    with pytest.raises(FateJobFailed, match="secure_add_example_0"):
        FateJobProvider().create(v1_props())


def test_v1_delete_stops(serve: Any) -> None:
    seen = serve(v1_server(["running"]))
    FateJobProvider().delete("v1job", v1_props())
    assert seen[-1].url.path == "/v1/job/stop"


# --- pickling -------------------------------------------------------------------------------------------


def test_provider_pickles_by_reference() -> None:
    blob = serialize_provider(FateJobProvider(poll_interval_s=0.5))
    assert len(base64.b64decode(blob)) < 1000  # by reference to the module, not by value
    restored = dill.loads(base64.b64decode(blob))
    assert isinstance(restored, FateJobProvider) and restored.poll_interval_s == 0.5
