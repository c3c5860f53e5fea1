"""Temporal's reset of the same execution to the point before a node: the
history up to the workflow task that started the node is kept (upstream nodes
are not run again), the rest is discarded and the workflow goes on from there
in a new run of the same Temporal workflow id. The execution row follows the
new run.

Which workflow task started a node, the workflow says itself (its
`node_starts` query): the same answer for every node type, and nothing read
from the display summaries it puts on its events."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.exc import DBAPIError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import load_execution
from api.debugger.history import fetch, name
from api.deps import ExecuteUser, SessionDep, StateDep
from api.errors import ApiError
from api.schemas.common import ResourceId
from api.schemas.executions import ResetAccepted, ResetCreate
from core import execution_state
from core.db.models import Execution

router = APIRouter(tags=["executions"])
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: FOR UPDATE NOWAIT found the row locked
# A closed run's query is answered by a worker replaying it.
QUERY_TIMEOUT = timedelta(seconds=10)


@router.post("/api/v1/executions/{execution_id}/reset", status_code=status.HTTP_202_ACCEPTED,
             response_model=ResetAccepted,
             responses={409: {"description": "the node never started in this run's history, it is inside a "
                                             "sub-workflow, the execution has not started, or another "
                                             "reset of it is in progress"},
                        422: {"description": "the execution's plan has no such node"}})
async def reset_execution(execution_id: ResourceId, body: ResetCreate, principal: ExecuteUser,
                          session: SessionDep, state: StateDep) -> ResetAccepted:
    """Resets the execution's Temporal workflow to the last workflow task
    completed before `node_id` was scheduled: nodes that finished before that
    point keep their results; the node and everything after it run again."""
    row = await load_execution(session, principal, execution_id)
    await _lock_for_reset(session, row)
    plan = row.plan or {}
    node = next((n for n in plan.get("nodes", []) if n.get("id") == body.node_id), None)
    if node is None:
        head = body.node_id.split(".", 1)[0]
        if _in_child(plan, body.node_id) or ("." in body.node_id and any(
                n.get("id") == head and n.get("type") == "sub_workflow" for n in plan.get("nodes", []))):
            raise ApiError(409, "in_sub_workflow", f"node {body.node_id!r} is inside a sub-workflow: reset to "
                           "before its sub_workflow node instead")
        raise ApiError(422, "unknown_node", f"the execution has no node {body.node_id!r}")
    if not row.temporal_run_id:
        raise ApiError(409, "not_started", f"the execution is {row.status} and has no Temporal run yet")
    client = state.temporal
    try:
        history = await fetch(client, row.temporal_workflow_id, row.temporal_run_id)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "history_unavailable", "the execution's Temporal history is gone") from None
        raise ApiError(503, "temporal_unavailable", err.message) from None
    started_in = (await _node_starts(client, row)).get(body.node_id)
    event_id = reset_point(history.events, started_in) if started_in is not None else None
    if event_id is None:
        raise ApiError(409, "node_not_started",
                       f"node {body.node_id!r} never started in this run (skipped, or not reached)")
    reason = body.reason or f"reset to before node {body.node_id} by {principal.user.username}"
    try:
        response = await client.workflow_service.reset_workflow_execution(ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=row.temporal_workflow_id,
                                                 run_id=row.temporal_run_id),
            reason=reason, workflow_task_finish_event_id=event_id, request_id=str(uuid.uuid4())))
    except RPCError as err:
        if err.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION,
                          RPCStatusCode.NOT_FOUND):
            raise ApiError(409, "reset_refused", f"Temporal refused the reset: {err.message}") from None
        raise ApiError(503, "temporal_unavailable", err.message) from None
    previous, new_run = row.temporal_run_id, response.run_id
    # Only while the row still names the old run: if the new run has already
    # recorded itself (record_execution upserts by execution id), it stands.
    await execution_state.reopened(session, row.id, previous, new_run)
    await session.commit()
    return ResetAccepted.from_row(row, state.settings, status="running", node_id=body.node_id,
                                  previous_run_id=previous, temporal_run_id=new_run, reset_event_id=event_id)


async def _lock_for_reset(session, row: Execution) -> None:
    """One reset at a time per execution: the row stays locked until this
    reset has moved it to its new run, and a concurrent one is refused at once
    (it would reset a run that is being replaced and leave several running)."""
    try:
        await session.refresh(row, with_for_update={"nowait": True})
    except DBAPIError as err:
        if getattr(err.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        await session.rollback()
        raise ApiError(409, "reset_in_progress", "another reset of this execution is in progress; "
                       "read the execution again and retry") from None


async def _node_starts(client, row: Execution) -> dict[str, int]:
    handle = client.get_workflow_handle(row.temporal_workflow_id, run_id=row.temporal_run_id)
    try:
        return await handle.query("node_starts", result_type=dict[str, int], rpc_timeout=QUERY_TIMEOUT)
    except WorkflowQueryFailedError as err:
        raise ApiError(409, "reset_refused", f"the run cannot say where its nodes started: {err}") from None
    except RPCError as err:
        raise ApiError(503, "temporal_unavailable",
                       f"no worker answered for the run (a reset needs one): {err.message}") from None


def reset_point(events: list[HistoryEvent], task_started_id: int) -> int | None:
    """The WorkflowTaskCompleted that closed the workflow task started at
    `task_started_id` (what a reset to before that task's commands names), or
    None when this history has no such task."""
    return next((event.event_id for event in events
                 if event.event_id > task_started_id and name(event) == "WorkflowTaskCompleted"), None)


def _in_child(plan: dict[str, Any], node_id: str) -> bool:
    for node in plan.get("nodes", []):
        child = node.get("child") or {}
        if any(n.get("id") == node_id for n in child.get("nodes", [])) or _in_child(child, node_id):
            return True
    return False
