"""Debug sessions over real Temporal history: replay, step, breakpoints,
variables, performance; and, for an execution held at a live breakpoint,
continue/step sent to the workflow's `debug` update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.access import load_execution, load_owned, visible
from api.debugger import sessions, timeline
from api.deps import DeleteUser, ExecuteUser, ReadUser, SessionDep, StateDep
from api.errors import ApiError, not_found
from api.schemas.common import ResourceId
from api.schemas.debug import (
    Boundary, BreakpointCreate, BreakpointPublic, DebugSessionCreate, DebugSessionPublic, LiveProgress, StepRequest,
    StepResult, Variables,
)
from core import expression_threads
from core.db.base import new_id
from core.db.models import DebugSession
from workflows import signatures
from workflows.expressions import ExpressionError
from workflows.plan import DebugCommand, GraphResult

router = APIRouter(prefix="/api/v1/debug", tags=["debug"])
MAX_BREAKPOINTS = 100  # per session: `continue` evaluates each at every boundary
BreakpointId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _replayed(state, execution) -> dict[str, Any]:
    if not execution.temporal_run_id and execution.status == "pending":
        raise ApiError(409, "not_started", "the execution has not started yet")
    client = state.temporal
    try:
        return await sessions.load(client, execution.temporal_workflow_id, execution.temporal_run_id)
    except RPCError as err:
        raise ApiError(503, "temporal_unavailable", f"cannot read the history: {err.message}") from None


async def _load(session, principal, session_id: str) -> DebugSession:
    return await load_owned(session, principal, DebugSession, session_id, "debug session")


def _save(row: DebugSession, **changes: Any) -> None:
    row.state = {**(row.state or {}), **changes}  # a new dict: JSONB change tracking
    row.updated_at = datetime.now(UTC)


@router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=DebugSessionPublic)
async def create_session(body: DebugSessionCreate, principal: ExecuteUser, session: SessionDep,
                         state: StateDep) -> DebugSessionPublic:
    """Replays the execution's history (nothing runs again) with the cursor at the start."""
    execution = await load_execution(session, principal, body.execution_id)
    replayed = await _replayed(state, execution)
    row = DebugSession(id=new_id(), execution_id=execution.id, owner_id=principal.id, status="open",
                       breakpoints=[], state={**replayed, "cursor": 0})
    session.add(row)
    await session.commit()
    return DebugSessionPublic.from_row(row)


@router.get("/sessions", response_model=list[DebugSessionPublic])
async def list_sessions(principal: ReadUser, session: SessionDep) -> list[DebugSessionPublic]:
    stmt = visible(select(DebugSession), DebugSession, principal).order_by(DebugSession.created_at.desc()).limit(100)
    return [DebugSessionPublic.from_row(r) for r in (await session.scalars(stmt)).all()]


@router.get("/sessions/{session_id}", response_model=DebugSessionPublic)
async def get_session(session_id: ResourceId, principal: ReadUser, session: SessionDep) -> DebugSessionPublic:
    return DebugSessionPublic.from_row(await _load(session, principal, session_id))


@router.post("/sessions/{session_id}/refresh", response_model=DebugSessionPublic)
async def refresh_session(session_id: ResourceId, principal: ExecuteUser, session: SessionDep,
                          state: StateDep) -> DebugSessionPublic:
    """Replays again: a running execution shows what happened since."""
    row = await _load(session, principal, session_id)
    execution = await load_execution(session, principal, row.execution_id)
    await session.refresh(execution)
    replayed = await _replayed(state, execution)
    cursor = min((row.state or {}).get("cursor", 0), max(len(replayed["timeline"]) - 1, 0))
    _save(row, **replayed, cursor=cursor)
    await session.commit()
    return DebugSessionPublic.from_row(row)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(session_id: ResourceId, principal: DeleteUser, session: SessionDep) -> Response:
    row = await _load(session, principal, session_id)
    await session.delete(row)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sessions/{session_id}/breakpoints", status_code=status.HTTP_201_CREATED,
             response_model=BreakpointPublic)
async def add_breakpoint(session_id: ResourceId, body: BreakpointCreate, principal: ExecuteUser,
                         session: SessionDep) -> BreakpointPublic:
    row = await _load(session, principal, session_id)
    if len(row.breakpoints or []) >= MAX_BREAKPOINTS:
        raise ApiError(422, "too_many_breakpoints", f"a debug session holds at most {MAX_BREAKPOINTS} breakpoints",
                       [{"path": "$", "code": "too_many_breakpoints",
                         "message": f"delete one of the {MAX_BREAKPOINTS} breakpoints first"}])
    known = {b["node_id"] for b in (row.state or {}).get("timeline", [])} | {
        n["id"] for n in (row.state or {}).get("nodes", [])}
    if body.node_id not in known:
        raise ApiError(422, "unknown_node", f"no node {body.node_id!r} in this execution",
                       [{"path": "$.node_id", "code": "unknown_node", "message": "not in the execution"}])
    if body.condition:
        try:
            timeline.check_condition(body.condition)
        except ExpressionError as err:
            raise ApiError(422, "invalid_condition", str(err),
                           [{"path": "$.condition", "code": "invalid_condition", "message": str(err)}]) from None
    bp = BreakpointPublic(id=new_id(), node_id=body.node_id, condition=body.condition)
    row.breakpoints = [*(row.breakpoints or []), bp.model_dump()]
    row.updated_at = datetime.now(UTC)
    await session.commit()
    return bp


@router.delete("/sessions/{session_id}/breakpoints/{bp_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_breakpoint(session_id: ResourceId, bp_id: BreakpointId, principal: ExecuteUser,
                            session: SessionDep) -> Response:
    row = await _load(session, principal, session_id)
    kept = [b for b in row.breakpoints or [] if b["id"] != bp_id]
    if len(kept) == len(row.breakpoints or []):
        raise not_found("breakpoint")
    row.breakpoints = kept
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sessions/{session_id}/step", response_model=StepResult,
             responses={409: {"description": "cannot move that way from here"}})
async def step(session_id: ResourceId, body: StepRequest, principal: ExecuteUser, session: SessionDep,
               state: StateDep) -> StepResult:
    """Moves the cursor through the replayed timeline. When the execution is
    held at a live breakpoint, `continue` and `next` resume it instead
    (`next` pauses again before the next node that becomes ready)."""
    row = await _load(session, principal, session_id)
    execution = await load_execution(session, principal, row.execution_id)
    if body.mode in ("continue", "next") and execution.status == "running":
        live = await _resume(state, execution, "continue" if body.mode == "continue" else "step")
        if live is not None:
            replayed = await _replayed(state, execution)
            cursor = max(len(replayed["timeline"]) - 1, 0)
            _save(row, **replayed, cursor=cursor)
            await session.commit()
            return StepResult(cursor=cursor, reason="resumed",
                              current=Boundary.at_cursor(replayed["timeline"], cursor),
                              live=LiveProgress.of(live))
    st = row.state or {}
    steps = st.get("timeline", [])
    breakpoints = row.breakpoints or []
    try:
        # Conditions are user expressions: evaluated off the event loop, under a deadline.
        cursor, reason, bp_id = await expression_threads.evaluate(
            timeline.step, steps, st.get("cursor", 0), body.mode, breakpoints,
            timeout_s=state.settings.expression_timeout_s)
    except timeline.StepError as err:
        raise ApiError(409, "cannot_step", str(err)) from None
    except timeline.ConditionOverLimit as err:
        index = next(i for i, b in enumerate(breakpoints) if b["id"] == err.breakpoint_id)
        raise ApiError(422, "expression_limit", f"the condition of breakpoint {err.breakpoint_id}: {err.message}",
                       [{"path": f"$.breakpoints[{index}].condition", "code": "expression_limit",
                         "message": err.message}]) from None
    _save(row, cursor=cursor)
    await session.commit()
    return StepResult(cursor=cursor, reason=reason, breakpoint_id=bp_id, current=Boundary.at_cursor(steps, cursor))


async def _resume(state, execution, mode: str) -> GraphResult | None:
    """Sends the `debug` update when a node is paused; None when none is."""
    handle = state.temporal.get_workflow_handle(execution.temporal_workflow_id)
    try:
        progress = await handle.query("progress", result_type=GraphResult)
    except RPCError:
        return None
    if not progress.paused_at:
        return None
    try:
        command = signatures.signed(DebugCommand(mode=mode, issued_at=datetime.now(UTC).isoformat()), "debug",
                                    workflow_id=execution.temporal_workflow_id)
        return await handle.execute_update("debug", command, result_type=GraphResult)
    except WorkflowUpdateFailedError as err:
        raise ApiError(409, "not_paused", str(err.cause or err)) from None


@router.get("/sessions/{session_id}/variables", response_model=Variables)
async def variables(session_id: ResourceId, principal: ReadUser, session: SessionDep) -> Variables:
    """The inputs and every upstream node's result at the cursor."""
    row = await _load(session, principal, session_id)
    st = row.state or {}
    steps = st.get("timeline", [])
    if not steps:
        return Variables(cursor=0, node_id=None, variables={"inputs": st.get("inputs", {}), "nodes": {}})
    b = steps[st.get("cursor", 0)]
    return Variables(cursor=b["index"], node_id=b["node_id"], variables=b["variables"], input=b["input"],
                     output=b["output"], error=b["error"], stack=b["stack"])


@router.get("/sessions/{session_id}/performance")
async def performance(session_id: ResourceId, principal: ReadUser, session: SessionDep) -> dict[str, Any]:
    """Per node from history timestamps: queue wait, run time, attempts and
    retry time, timer / approval / pause waits; the critical path; totals."""
    row = await _load(session, principal, session_id)
    return (row.state or {}).get("performance", {})
