"""FateJob: a FATE job as a Pulumi resource (replaces FATE-Operator's FateJob and `kubectl exec` toy runs).

`pulumi up` submits the job and (by default) waits for its end; `pulumi refresh` reads its status; a new
DAG or another party is a new run (replace); `pulumi destroy` stops it if it still runs. Semantics and
the honest limits: docs/fate-job.md. The provider lives in components.fate_job_provider (pickled by
reference; see that module).
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import Resource

from components.fate_job_provider import OUTPUT_KEYS, FateJobProvider


class FateJobArgs(TypedDict, total=False):
    """FateJob inputs. Give `endpoint` and either `dag` (FATE 2.x) or `dsl` + `runtime_conf` (FATE 1.x)."""

    endpoint: pulumi.Input[str]
    """FATE Flow's base URL, e.g. http://fateflow.fate-9999:9380."""
    dag: pulumi.Input[dict[str, Any] | str]
    """FATE 2.x: the DAG (the `dag_schema` body `flow job submit` sends), as a mapping or YAML text."""
    dsl: pulumi.Input[dict[str, Any] | str]
    """FATE 1.x: the job DSL (the /v1 API), with `runtime_conf`."""
    runtime_conf: pulumi.Input[dict[str, Any] | str]
    """FATE 1.x: the job runtime conf, with `dsl`."""
    party_id: pulumi.Input[int]
    """The party whose FATE Flow `endpoint` is; by default the DAG's initiator (its first guest). A new
    party is a new run."""
    app_id: pulumi.Input[str]
    """FATE Flow client authentication: the app id (with app_token)."""
    app_token: pulumi.Input[str]
    """FATE Flow client authentication: the app token. Kept secret; only its signature is sent."""
    wait: pulumi.Input[bool]
    """Follow the job to its end (default true); false returns once FATE Flow accepted it."""
    timeout_s: pulumi.Input[float]
    """How long create waits (default 3600 s) before it stops waiting and records the job as timed out."""
    poll_interval_s: pulumi.Input[float]
    """First poll interval (default 1 s); each next one is 1.5x longer ..."""
    max_poll_interval_s: pulumi.Input[float]
    """... up to this (default 3 s)."""


class FateJob(Resource, module="fate", name="Job"):
    """A FATE job run by FATE Flow (type token pulumi-python:dynamic/fate:Job)."""

    job_id: pulumi.Output[str]
    status: pulumi.Output[str]
    """waiting, ready, running, success, failed, canceled or timeout (FATE's own status words)."""
    progress: pulumi.Output[int]
    party_statuses: pulumi.Output[dict[str, str]]
    """`role:party_id` -> status."""
    task_statuses: pulumi.Output[dict[str, dict[str, str]]]
    """task name -> `role:party_id` -> status (read once the job ended)."""
    failed_tasks: pulumi.Output[list[dict[str, str]]]
    model_id: pulumi.Output[str]
    model_version: pulumi.Output[str]
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    timed_out: pulumi.Output[bool]
    """True when create stopped waiting at timeout_s while the job still ran."""

    def __init__(self, name: str, args: FateJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {**args, **{key: None for key in OUTPUT_KEYS}}
        if props.get("app_token") is not None:
            props["app_token"] = pulumi.Output.secret(props["app_token"])
        secret = pulumi.ResourceOptions(additional_secret_outputs=["app_token"])
        super().__init__(FateJobProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))
