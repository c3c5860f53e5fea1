"""Cron expressions of a schedule, checked by Temporal's own parser (the
grammar is Temporal's: we do not keep a copy that could disagree with it), so
a mistake is answered with 422 and the expression's path before anything is
stored.

Temporal parses cron strings only on the server. Its frontend checks the spec
of an UpdateSchedule request before it looks the schedule up, so updating a
schedule that does not exist answers INVALID_ARGUMENT (with the parser's
reason) for a bad expression and NOT_FOUND for a good one, and changes
nothing. tests/integration/api/test_schedules.py holds both answers against
the real server, so a Temporal that stopped working this way fails there.
"""

from __future__ import annotations

import asyncio
import uuid
import zoneinfo

from temporalio.api.common.v1 import WorkflowType
from temporalio.api.schedule.v1 import Schedule, ScheduleAction, ScheduleSpec
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflow.v1 import NewWorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import UpdateScheduleRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError

PROBE_PREFIX = "spec-check-"  # never a platform schedule's id (those are "sched-...")
# The server wants an action to look at the spec; this one never runs.
_PROBE_ACTION = ScheduleAction(start_workflow=NewWorkflowExecutionInfo(
    workflow_id="spec-check", workflow_type=WorkflowType(name="spec-check"), task_queue=TaskQueue(name="spec-check")))


def check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def fields(expression: str) -> list[str]:
    """The expression's fields, without a CRON_TZ= prefix and a # comment
    ([] for an @-descriptor such as @daily or @every 90m)."""
    text = expression.split("#", 1)[0].strip()
    if cron_zone(text) is not None:
        text = text.split(" ", 1)[1] if " " in text else ""
    return [] if text.startswith("@") else text.split()


def ambiguity(expression: str) -> str | None:
    """Why a 6-field expression is refused: Temporal reads the 6th field as a
    year, Quartz and n8n read the 1st as seconds, so the same text would run
    at times its author did not mean. 7 fields say which."""
    parts = fields(expression)
    if len(parts) != 6:
        return None
    text = " ".join(parts)
    return (f"6 fields are ambiguous: here they would mean 'minute hour day-of-month month day-of-week "
            f"year', while Quartz and n8n read 'second minute hour day-of-month month day-of-week'. Write "
            f"7 fields (second minute hour day-of-month month day-of-week year): '{text} *' if the first "
            f"field is seconds, '0 {text}' if the last is a year, or 5 fields for neither")


def cron_zone(expression: str) -> str | None:
    """The zone of a CRON_TZ= (or TZ=) prefix, if any."""
    text = expression.strip()
    for prefix in ("CRON_TZ=", "TZ="):
        if text.startswith(prefix):
            return text[len(prefix):].split(" ", 1)[0]
    return None


async def refusal(client: Client, expression: str) -> str | None:
    """Temporal's reason for refusing the expression, or None when it parses."""
    try:
        await client.workflow_service.update_schedule(UpdateScheduleRequest(
            namespace=client.namespace, schedule_id=f"{PROBE_PREFIX}{uuid.uuid4().hex}",
            schedule=Schedule(spec=ScheduleSpec(cron_string=[expression]), action=_PROBE_ACTION),
            request_id=str(uuid.uuid4())))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None  # the spec passed; only the (absent) schedule stopped it
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            return err.message
        raise ApiError(503, "temporal_unavailable", err.message) from None
    return None


async def check_crons(client: Client, expressions: list[str], path: str = "$.body.spec.cron_expressions") -> None:
    """422 `validation_error` naming every expression Temporal refuses."""
    reasons = await asyncio.gather(*(refusal(client, e) for e in expressions))
    details = [{"code": "value_error", "path": f"{path}[{i}]", "message": reason}
               for i, reason in enumerate(reasons) if reason is not None]
    if details:
        raise ApiError(422, "validation_error", "the request is invalid", details)
