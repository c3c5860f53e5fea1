"""Starting executions so the PostgreSQL row and the Temporal execution never
diverge: the row (with a deterministic Temporal id) is committed first, the
start is idempotent, and a reconciler starts or fails what a crash left pending."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import (
    SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.reruns import launch_options
from api.settings import ApiSettings
from api.state import AppState
from core.db.models import Execution
from core.temporal import SA_OWNER, SA_VERSION, SA_WORKFLOW_ID, temporal_workflow_id
from workflows import signatures
from workflows.plan import GraphInput, Plan

log = logging.getLogger(__name__)
WORKFLOW_NAME = "GraphWorkflow"
# Errors that will not heal by retrying: the row is marked failed.
PERMANENT_ERRORS = {RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION,
              RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.NOT_FOUND}

_CLOSED_STATUS = {
    WorkflowExecutionStatus.COMPLETED: "succeeded", WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled", WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


async def start(client: Client, settings: ApiSettings, row: Execution) -> str:
    """Starts the row's workflow, or finds the one already started for it;
    returns the run id. Safe to call any number of times."""
    plan = Plan.model_validate(row.plan)
    try:
        launch = GraphInput(plan=plan, inputs=row.inputs, execution_id=row.id, record=True, **launch_options(row),
                            started_by=row.started_by, owner_id=row.owner_id, gate=row.gate)
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            signatures.signed(launch, "launch"),
            id=row.temporal_workflow_id,
            task_queue=settings.temporal_task_queue,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(SA_WORKFLOW_ID, row.workflow_id or ""),
                SearchAttributePair(SA_VERSION, row.version or 0),
                SearchAttributePair(SA_OWNER, row.owner_id or ""),
            ]),
            memo={"name": plan.name, "execution_id": row.id},
            # A retried start joins the running execution; a finished one is never re-run.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        return handle.result_run_id or handle.first_execution_run_id or ""
    except WorkflowAlreadyStartedError:
        desc = await client.get_workflow_handle(row.temporal_workflow_id).describe()
        return desc.run_id


async def start_after_commit(session: AsyncSession, state: AppState, row: Execution) -> None:
    """Steps 2 and 3 of every start, once the pending row is committed: the
    idempotent start, then pending -> running. Temporal refusing for good fails
    the row (503); Temporal unreachable leaves it to the reconciler."""
    client = await state.temporal.get()
    try:
        run_id = await start(client, state.settings, row)
    except RPCError as err:
        if err.status in PERMANENT_ERRORS:
            await mark_failed(session, row.id, f"could not start: {err.message}")
            raise ApiError(503, "start_failed", f"Temporal refused the start: {err.message}") from None
        log.warning("start of %s deferred to the reconciler: %s", row.id, err)
    except Exception as err:  # noqa: BLE001 - Temporal unreachable: the reconciler starts it later
        log.warning("start of %s deferred to the reconciler: %s", row.id, err)
    else:
        await mark_started(session, row.id, run_id, client)
    await session.refresh(row)


async def mark_started(session: AsyncSession, execution_id: str, run_id: str,
                       client: Client | None = None) -> None:
    """pending -> running; never overwrites the final status the workflow may
    already have recorded. A row cancelled while its start was in flight gets
    its just-started workflow cancelled, so the two agree."""
    await session.execute(update(Execution).where(Execution.id == execution_id).values(
        temporal_run_id=run_id))
    await session.execute(update(Execution).where(
        Execution.id == execution_id, Execution.status == "pending",
    ).values(status="running", started_at=datetime.now(UTC)))
    status = await session.scalar(select(Execution.status).where(Execution.id == execution_id))
    await session.commit()
    if status == "cancelled" and client is not None:
        try:
            await client.get_workflow_handle(temporal_workflow_id(execution_id)).cancel()
        except RPCError as err:
            log.warning("could not cancel %s after a cancel raced its start: %s", execution_id, err)


async def reconcile_once(sessions: async_sessionmaker[AsyncSession], client: Client,
                         settings: ApiSettings, *, grace_s: float | None = None) -> int:
    """Starts (idempotently) every pending row older than the grace period."""
    grace = settings.reconcile_grace_s if grace_s is None else grace_s
    cutoff = datetime.now(UTC) - timedelta(seconds=grace)
    async with sessions() as session:
        rows = (await session.scalars(select(Execution).where(
            Execution.status == "pending", Execution.created_at <= cutoff,
        ).order_by(Execution.created_at).limit(200))).all()
        done = 0
        for row in rows:
            try:
                run_id = await start(client, settings, row)
            except RPCError as err:
                if err.status not in PERMANENT_ERRORS:
                    log.warning("reconciler: %s still pending: %s", row.id, err)
                    continue
                await mark_failed(session, row.id, f"could not start: {err.message}")
            else:
                await mark_started(session, row.id, run_id, client)
            done += 1
        return done


async def mark_failed(session: AsyncSession, execution_id: str, message: str) -> None:
    await session.execute(update(Execution).where(
        Execution.id == execution_id, Execution.status == "pending",
    ).values(status="failed", finished_at=datetime.now(UTC),
             error={"code": "start_failed", "message": message}))
    await session.commit()


async def sweep_closed(sessions: async_sessionmaker[AsyncSession], client: Client, since: datetime) -> int:
    """Rows still 'running' whose execution closed without recording itself
    (terminated from the Web UI or CLI, timed out, terminate_other overlap, a
    record activity that gave up) get Temporal's final status."""
    query = (f"WorkflowType = '{WORKFLOW_NAME}' AND ExecutionStatus != 'Running' "
             f"AND CloseTime > '{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'")
    closed = []
    async for wf in client.list_workflows(query):
        if wf.id.startswith("exec-") and closed_status(wf.status):
            closed.append((wf.id.removeprefix("exec-"), wf.run_id, closed_status(wf.status), wf.close_time))
    fixed = 0
    async with sessions() as session:
        for execution_id, run_id, status, close_time in closed:
            # Only the run the row follows: a run replaced by a reset
            # (api/routes/reset.py) closed too, but the row has moved on.
            result = await session.execute(update(Execution).where(
                Execution.id == execution_id, Execution.status == "running",
                (Execution.temporal_run_id == run_id) | Execution.temporal_run_id.is_(None),
            ).values(status=status, finished_at=close_time or datetime.now(UTC),
                     error={"code": f"closed_{status}", "message":
                            f"the execution was {status} in Temporal without recording its summary"}))
            fixed += result.rowcount
        await session.commit()
    return fixed


async def reconcile_forever(sessions, temporal, settings: ApiSettings) -> None:
    since = datetime.now(UTC) - timedelta(days=7)  # first round: whatever closed while we were down
    while True:
        try:
            await reconcile_once(sessions, await temporal.get(), settings)
            swept_at = datetime.now(UTC)
            await sweep_closed(sessions, await temporal.get(), since)
            since = swept_at - timedelta(minutes=2)  # overlap: visibility lags a little
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("reconciler round failed")
        await asyncio.sleep(settings.reconcile_interval_s)


def closed_status(status: WorkflowExecutionStatus | None) -> str | None:
    return _CLOSED_STATUS.get(status) if status is not None else None
