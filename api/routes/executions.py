"""Executions: start (crash-safe, idempotent), list, progress, result, cancel, terminate."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from temporalio.service import RPCError, RPCStatusCode

from api import execution_view, starts, waiting
from api.access import load_execution, load_workflow, visible
from api.reruns import debug_options
from api.deps import AdminUser, ExecuteUser, ReadUser, SessionDep, StateDep
from api.errors import ApiError
from api.schemas.common import Page, ResourceId
from api.schemas.executions import (
    ActionAccepted, ExecutionAccepted, ExecutionCreate, ExecutionDetail, ExecutionPublic, ExecutionResult,
)
from core import execution_state
from core.db.models import EXECUTION_STATUSES, EXECUTION_TRIGGERS, TERMINAL_EXECUTION_STATUSES, Execution
from core.temporal import unreachable
from workflows.plan import GraphResult

log = logging.getLogger(__name__)
router = APIRouter(tags=["executions"])
QUERY_TIMEOUT = timedelta(seconds=3)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              pattern=r"^[\x21-\x7e]+$")]
StatusFilter = Literal[EXECUTION_STATUSES]  # type: ignore[valid-type]
TriggerFilter = Literal[EXECUTION_TRIGGERS]  # type: ignore[valid-type]
ID_PATTERN = r"^[A-Za-z0-9_:-]+$"  # as ResourceId: a scheduled run's id has ":"


@router.post("/api/v1/workflows/{workflow_id}/executions", status_code=status.HTTP_202_ACCEPTED,
             response_model=ExecutionAccepted,
             responses={**waiting.WAIT_RESPONSES,
                        422: {"description": "inputs do not match the workflow's inputs schema"}})
async def start_execution(workflow_id: ResourceId, body: ExecutionCreate, principal: ExecuteUser,
                          session: SessionDep, state: StateDep, request: Request,
                          idempotency_key: IdempotencyKey = None,
                          wait: waiting.WaitSeconds = 0) -> ExecutionAccepted | JSONResponse:
    wf = await load_workflow(session, principal, workflow_id)
    owner_id, wf_id = principal.id, wf.id  # a failed commit expires loaded objects
    request_digest = _digest(wf_id, body)
    if idempotency_key and (same := await _by_key(session, principal.id, idempotency_key)):
        return await _waited(session, state, principal, same, wait,
                             await _same_request(same, wf_id, request_digest, state))
    prepared = await starts.prepare(session, principal, wf, body.version, body.inputs, state.settings)
    options = {**(debug_options(body.debug, prepared.plan) or {}), "request": request_digest}
    row = starts.new_row(prepared, principal, trigger="api", idempotency_key=idempotency_key,
                         options=options)
    try:
        await starts.accept(session, state, request, row)
    except IntegrityError:  # a concurrent request with the same Idempotency-Key won
        await session.rollback()
        await session.refresh(principal.user)  # the rollback expired it; waiting reads it
        same = await _by_key(session, owner_id, idempotency_key or "")
        if same is None:
            raise
        return await _waited(session, state, principal, same, wait,
                             await _same_request(same, wf_id, request_digest, state))
    return await _waited(session, state, principal, row, wait, ExecutionAccepted.from_row(row, state.settings))


async def _waited(session, state, principal, row: Execution, wait: int,
                  accepted: ExecutionAccepted) -> ExecutionAccepted | JSONResponse:
    """`?wait=N`: the result when the run finishes within N seconds, else the 202."""
    execution_id = row.id
    result = await waiting.result_within(session, state.temporal, row, wait,
                                         lambda: get_result(execution_id, principal, session, state))
    return accepted if result is None else waiting.finished(result)


@dataclass(frozen=True)
class ExecutionFilters:
    """What both execution lists filter by: status and provenance."""

    status: str | None = None
    trigger: str | None = None
    schedule_id: str | None = None
    source_execution_id: str | None = None
    started_by: str | None = None

    def apply(self, stmt):
        for column, value in ((Execution.status, self.status), (Execution.trigger, self.trigger),
                              (Execution.schedule_id, self.schedule_id),
                              (Execution.source_execution_id, self.source_execution_id),
                              (Execution.started_by, self.started_by)):
            if value is not None:
                stmt = stmt.where(column == value)
        return stmt


def execution_filters(
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    trigger: Annotated[TriggerFilter | None, Query(description="what started the execution")] = None,
    schedule_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN,
                                             description="runs of this schedule, deleted or not")] = None,
    source_execution_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN,
                                                     description="reruns of this execution")] = None,
    started_by: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                                            description="user name")] = None,
) -> ExecutionFilters:
    return ExecutionFilters(status=status_, trigger=trigger, schedule_id=schedule_id,
                            source_execution_id=source_execution_id,
                            started_by=started_by.lower() if started_by else None)  # stored in lower case


Filters = Annotated[ExecutionFilters, Depends(execution_filters)]


@router.get("/api/v1/workflows/{workflow_id}/executions", response_model=Page[ExecutionPublic])
async def list_workflow_executions(
    workflow_id: ResourceId, principal: ReadUser, session: SessionDep, state: StateDep, filters: Filters,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    wf = await load_workflow(session, principal, workflow_id)
    return await _page(session, principal, state, wf.id, filters, None, None, limit, offset)


@router.get("/api/v1/executions", response_model=Page[ExecutionPublic])
async def list_executions(
    principal: ReadUser, session: SessionDep, state: StateDep, filters: Filters,
    workflow_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    return await _page(session, principal, state, workflow_id, filters, started_after, started_before,
                       limit, offset)


@router.get("/api/v1/executions/{execution_id}", response_model=ExecutionDetail)
async def get_execution(execution_id: ResourceId, principal: ReadUser, session: SessionDep,
                        state: StateDep) -> ExecutionDetail:
    row = await load_execution(session, principal, execution_id)
    progress = await _live_progress(state, row)
    order = await execution_view.node_order(session, row)
    waiting = await execution_view.waiting_for(session, state.settings, row, progress)
    if progress is None:
        nodes = execution_view.public_nodes(execution_view.summaries(order, row.nodes))
        return ExecutionDetail.from_row(row, state.settings, nodes=nodes, waiting_for=waiting, live=False)
    # Waiting for an approval is still `running` (core/execution_state.py); `waiting_for` says on what.
    nodes = execution_view.public_nodes(execution_view.summaries(order, progress.model_dump()["nodes"]))
    return ExecutionDetail.from_row(row, state.settings, status=execution_state.FROM_RESULT[progress.status],
                                    error=progress.error, nodes=nodes, waiting_for=waiting, live=True)


@router.get("/api/v1/executions/{execution_id}/result", response_model=ExecutionResult,
            responses={409: {"description": "the execution has not finished"}})
async def get_result(execution_id: ResourceId, principal: ReadUser, session: SessionDep,
                     state: StateDep) -> ExecutionResult:
    row = await load_execution(session, principal, execution_id)
    order = await execution_view.node_order(session, row)
    if row.status in TERMINAL_EXECUTION_STATUSES:
        return ExecutionResult.of(row.id, row.status, row.error, execution_view.summaries(order, row.nodes))
    progress = await _live_progress(state, row)
    if progress is None or progress.status in ("running", "awaiting_approval"):
        waiting = await execution_view.waiting_for(session, state.settings, row, progress)
        on = f", waiting for approval {', '.join(w.approval_id for w in waiting)}" if waiting else ""
        raise ApiError(409, "not_finished", f"the execution is {row.status}{on}",
                       [w.model_dump() for w in waiting])
    return ExecutionResult.of(row.id, progress.status, progress.error,
                              execution_view.summaries(order, progress.model_dump()["nodes"]))


@router.post("/api/v1/executions/{execution_id}/cancel", status_code=status.HTTP_202_ACCEPTED,
             response_model=ActionAccepted, responses={409: {"description": "already finished"}})
async def cancel_execution(execution_id: ResourceId, principal: ExecuteUser, session: SessionDep,
                           state: StateDep) -> ActionAccepted:
    row = await load_execution(session, principal, execution_id)
    _ensure_open(row)
    was_pending = row.status == "pending"
    if was_pending:
        # Not started yet (or the start is in flight): the reconciler skips a
        # cancelled row; a start that wins the race cancels its workflow
        # (starts.mark_started), and one that already happened is cancelled below.
        await _close(session, row.id, "cancelled")
    try:
        await state.temporal.get_workflow_handle(row.temporal_workflow_id).cancel()
    except Exception as err:  # noqa: BLE001 - sorted out below
        if was_pending and unreachable(err):
            pass  # cancelled all the same: nothing starts it now, and a racing start cancels itself
        elif not (isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND):
            if unreachable(err) or isinstance(err, RPCError):
                raise ApiError(503, "temporal_unavailable", "Temporal is unreachable; retry") from None
            raise
    return ActionAccepted(id=row.id, status="cancelled" if was_pending else "cancel_requested")


@router.post("/api/v1/executions/{execution_id}/terminate", status_code=status.HTTP_202_ACCEPTED,
             response_model=ActionAccepted, responses={409: {"description": "already finished"}})
async def terminate_execution(execution_id: ResourceId, principal: AdminUser, session: SessionDep,
                              state: StateDep) -> ActionAccepted:
    """Ends the workflow at once, without its cleanup (the workflow cannot record
    itself, so the API closes the row)."""
    row = await load_execution(session, principal, execution_id)
    _ensure_open(row)
    try:
        await state.temporal.get_workflow_handle(row.temporal_workflow_id).terminate(
            reason=f"terminated by {principal.user.username}")
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise ApiError(503, "temporal_unavailable", err.message) from None
        if row.status == "running":  # it finished meanwhile; its record is on the way
            raise ApiError(409, "already_finished", "the execution has already finished") from None
    await _close(session, row.id, "terminated")
    return ActionAccepted(id=row.id, status="terminated")


async def _by_key(session, owner_id: str, key: str) -> Execution | None:
    return await session.scalar(select(Execution).where(
        Execution.owner_id == owner_id, Execution.idempotency_key == key))


def _digest(workflow_id: str, body: ExecutionCreate) -> str:
    """What makes two starts the same request (the IETF Idempotency-Key draft)."""
    request = {"workflow_id": workflow_id, **body.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def _same_request(row: Execution, workflow_id: str, request_digest: str, state) -> ExecutionAccepted:
    """The execution the key started, as it is now; a key reused for another
    request (another workflow, version, inputs or options) is refused."""
    recorded = (row.options or {}).get("request")
    # A row accepted before requests were fingerprinted: the workflow must match.
    if (recorded or row.workflow_id) != (request_digest if recorded else workflow_id):
        raise ApiError(422, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request (workflow, version, inputs "
                       "or options); use a new key for a new request")
    answer = ExecutionAccepted.from_row(row, state.settings)
    progress = await _live_progress(state, row)
    if progress is not None and progress.status not in ("running", "awaiting_approval"):
        answer.status = progress.status  # finished, its record on the way
    return answer


async def _page(session, principal, state, workflow_id, filters: ExecutionFilters, after, before,
                limit, offset) -> dict:
    stmt = filters.apply(visible(select(Execution), Execution, principal))
    if workflow_id:
        stmt = stmt.where(Execution.workflow_id == workflow_id)
    if after:
        stmt = stmt.where(Execution.created_at >= after)
    if before:
        stmt = stmt.where(Execution.created_at < before)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(Execution.created_at.desc(), Execution.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [ExecutionPublic.from_row(r, state.settings) for r in rows], "total": total, "limit": limit,
            "offset": offset}


async def _live_progress(state, row: Execution) -> GraphResult | None:
    """While running, the truth is in the workflow: ask it. Any failure (not
    started yet, Temporal down) falls back to the row."""
    if row.status != "running":
        return None
    try:
        handle = state.temporal.get_workflow_handle(row.temporal_workflow_id)
        return await handle.query("progress", result_type=GraphResult, rpc_timeout=QUERY_TIMEOUT)
    except Exception as err:  # noqa: BLE001
        log.info("live progress of %s unavailable: %s", row.id, err)
        return None


def _ensure_open(row: Execution) -> None:
    if row.status in TERMINAL_EXECUTION_STATUSES:
        raise ApiError(409, "already_finished", f"the execution is already {row.status}")


async def _close(session, execution_id: str, final: str) -> None:
    await execution_state.closed_by_api(session, execution_id, final)
    await session.commit()
