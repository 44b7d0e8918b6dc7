"""FateJob: a FATE job as a Pulumi resource (replaces FATE-Operator's FateJob and `kubectl exec` toy runs).

`pulumi up` submits the job and (by default) waits for it; `pulumi refresh` reads its status; a new DAG
or another initiating party is a new run (replace); `pulumi destroy` stops it if it still runs.
The provider lives in components.fate_job_provider (pickled by reference; see that module).
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import Resource

from components.fate_job_provider import FateJobProvider

OUTPUTS = ("job_id", "status", "progress", "party_statuses", "task_statuses", "failed_tasks", "model_id",
           "model_version", "start_time", "end_time", "timed_out")


class FateJobArgs(TypedDict, total=False):
    endpoint: pulumi.Input[str]
    """FATE Flow's base URL, e.g. http://fateflow.fate-9999:9380."""
    dag: pulumi.Input[dict[str, Any] | str]
    """FATE 2.x: the DAG (`dag_schema` body), as a mapping or YAML text."""
    dsl: pulumi.Input[dict[str, Any]]
    """FATE 1.x: the job DSL (with runtime_conf instead of dag)."""
    runtime_conf: pulumi.Input[dict[str, Any]]
    party_id: pulumi.Input[int]
    """The party whose FATE Flow runs the job; by default the DAG's scheduler or guest."""
    app_id: pulumi.Input[str]
    app_token: pulumi.Input[str]
    wait: pulumi.Input[bool]
    timeout_s: pulumi.Input[float]
    poll_interval_s: pulumi.Input[float]
    max_poll_interval_s: pulumi.Input[float]


class FateJob(Resource, module="fate", name="Job"):
    job_id: pulumi.Output[str]
    status: pulumi.Output[str]
    progress: pulumi.Output[int]
    party_statuses: pulumi.Output[dict[str, str]]
    task_statuses: pulumi.Output[dict[str, str]]
    failed_tasks: pulumi.Output[list[dict[str, str]]]
    model_id: pulumi.Output[str]
    model_version: pulumi.Output[str]
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    timed_out: pulumi.Output[bool]

    def __init__(self, name: str, args: FateJobArgs, opts: pulumi.ResourceOptions | None = None,
                 provider: FateJobProvider | None = None) -> None:
        props: dict[str, Any] = {"wait": True, "timeout_s": 3600, **args, **{key: None for key in OUTPUTS}}
        if props.get("app_token") is not None:
            props["app_token"] = pulumi.Output.secret(props["app_token"])
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["app_token"]))
        super().__init__(provider or FateJobProvider(), name, props, options)
