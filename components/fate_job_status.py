"""A FATE job's status as the FateJob outputs show it: one status from every party's, per-task states,
and the failure message with each failed task's error report. Pure: FATE Flow's rows in, outputs out.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from components.fateflow_client import text_or_none

SUCCESS = "success"
FAILED_STATES = ("failed", "canceled", "timeout")
TERMINAL_STATES = (SUCCESS, *FAILED_STATES)
ERROR_REPORT_LIMIT = 2000
KEPT_ON_FAILURE = ("Pulumi records no FateJob when its create fails (the next `pulumi up` submits a new run); "
                   "a failed update keeps the state recorded before it.")


class FateJobFailed(Exception):
    """The job ended failed, canceled or timeout, or vanished from FATE Flow."""


def _iso(ms: Any) -> str | None:
    """FATE Flow's epoch milliseconds as UTC ISO 8601."""
    if not ms:
        return None
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def _party(row: dict[str, Any]) -> str:
    return f"{row.get('role')}:{row.get('party_id')}"


def job_status(party_statuses: list[str]) -> str:
    """One status for the job: a failing party decides, then all must succeed, else the furthest along."""
    failed = [status for status in party_statuses if status in FAILED_STATES]
    if failed:
        return failed[0]
    if party_statuses and all(status == SUCCESS for status in party_statuses):
        return SUCCESS
    for status in ("running", "ready", "waiting"):
        if status in party_statuses:
            return status
    return party_statuses[0] if party_statuses else "waiting"


def summarize(job_id: str, rows: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """The job as the outputs show it: one status and progress, per-party and per-task statuses."""
    status = job_status([str(row.get("status")) for row in rows])
    task_statuses: dict[str, dict[str, str]] = {}
    for task in tasks:
        task_statuses.setdefault(str(task.get("task_name")), {})[_party(task)] = str(task.get("status"))
    ends = [row.get("end_time") for row in rows]
    starts = [row["start_time"] for row in rows if row.get("start_time")]
    model = next((row for row in rows if row.get("model_id")), {})
    return {
        "job_id": job_id,
        "status": status,
        "progress": 100 if status == SUCCESS else min((int(row.get("progress") or 0) for row in rows), default=0),
        "party_statuses": {_party(row): str(row.get("status")) for row in rows},
        "task_statuses": task_statuses,
        "failed_tasks": [
            {"task": str(task.get("task_name")), "party": _party(task), "status": str(task.get("status")),
             "error_report": str(task.get("error_report") or "")[-ERROR_REPORT_LIMIT:]}
            for task in tasks if task.get("status") in FAILED_STATES
        ],
        **({"model_id": model["model_id"], "model_version": text_or_none(model.get("model_version"))} if model else {}),
        "start_time": _iso(min(starts)) if starts else None,
        "end_time": _iso(max(ends)) if ends and all(ends) and status in TERMINAL_STATES else None,
    }


def failure_message(summary: dict[str, Any], endpoint: str) -> str:
    """Why the update failed: the job id, every failed task with its error report, and what Pulumi kept."""
    lines = [f"FATE job {summary['job_id']} ended {summary['status']} at {endpoint} "
             f"(parties: {json.dumps(summary['party_statuses'], sort_keys=True)})."]
    for task in summary["failed_tasks"]:
        report_text = task["error_report"].strip() or "(FATE Flow kept no error report for this task)"
        lines.append(f"  task {task['task']} at {task['party']}: {task['status']}\n    "
                     + report_text.replace("\n", "\n    "))
    if not summary["failed_tasks"]:
        lines.append("  no task reported an error (a job stopped from outside, or one that never started "
                     "its tasks): see the job's logs in FATE Flow")
    lines.append(KEPT_ON_FAILURE + f" The failed run stays in FATE Flow's history as job {summary['job_id']}.")
    return "\n".join(lines)
