"""Keeps rows and Temporal in agreement after crashes: starts (idempotently)
every pending row a crash left between its commit and its start, and closes
rows whose run closed without recording itself. Every API process runs the
loop, but a round runs in one process at a time: it holds a PostgreSQL
advisory lock (released with its connection if the process dies)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from api.settings import ApiSettings
from api.starts import PERMANENT_ERRORS, mark_started
from core import execution_state, launch
from core.db.models import Execution
from core.temporal import EXECUTION_PREFIX, execution_id_of
from workflows.graph_workflow import WORKFLOW_NAME

log = logging.getLogger(__name__)
# pg advisory lock key of the reconciler's round: any fixed bigint, the same in every API process.
RECONCILER_LOCK = 0x61676E7463_01  # "agntc", 1

_CLOSED_STATUS = {
    WorkflowExecutionStatus.COMPLETED: "succeeded", WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled", WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


async def reconcile_once(sessions: async_sessionmaker[AsyncSession], client: Client,
                         settings: ApiSettings, *, grace_s: float | None = None) -> int:
    """Starts (idempotently) every pending row older than the grace period."""
    grace = settings.reconcile_grace_s if grace_s is None else grace_s
    cutoff = datetime.now(UTC) - timedelta(seconds=grace)
    async with sessions() as session:
        rows = (await session.scalars(select(Execution).where(
            Execution.status == execution_state.PENDING, Execution.created_at <= cutoff,
        ).order_by(Execution.created_at).limit(200))).all()
        done = 0
        for row in rows:
            try:
                handle = await launch.start(client, launch.Launch.from_row(row), settings.temporal_task_queue)
            except RPCError as err:
                if err.status not in PERMANENT_ERRORS:
                    log.warning("reconciler: %s still pending: %s", row.id, err)
                    continue
                await execution_state.start_failed(session, row.id, f"could not start: {err.message}")
                await session.commit()
            else:
                await mark_started(session, row.id, launch.run_id(handle), client)
            done += 1
        return done


async def sweep_closed(sessions: async_sessionmaker[AsyncSession], client: Client, since: datetime) -> int:
    """Rows still 'running' whose execution closed without recording itself
    (terminated from the Web UI or CLI, timed out, terminate_other overlap, a
    record activity that gave up) get Temporal's final status."""
    query = (f"WorkflowType = '{WORKFLOW_NAME}' AND ExecutionStatus != 'Running' "
             f"AND CloseTime > '{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'")
    closed = []
    async for wf in client.list_workflows(query):
        if wf.id.startswith(EXECUTION_PREFIX) and closed_status(wf.status):
            closed.append((execution_id_of(wf.id), wf.run_id, closed_status(wf.status), wf.close_time))
    fixed = 0
    async with sessions() as session:
        for execution_id, run_id, status, close_time in closed:
            # Only the run the row follows: a run replaced by a reset closed too.
            fixed += await execution_state.closed_outside(session, execution_id, run_id, status, close_time)
        await session.commit()
    return fixed


async def round_as_leader(sessions: async_sessionmaker[AsyncSession], client: Client,
                          settings: ApiSettings, since: datetime) -> datetime | None:
    """One round (starts, then the sweep) if no other process is in one; the
    next sweep's `since`, or None when another process holds the round's lock."""
    async with sessions() as lock_session:
        conn = await lock_session.connection()
        if not await conn.scalar(select(func.pg_try_advisory_lock(RECONCILER_LOCK))):
            return None
        try:
            await reconcile_once(sessions, client, settings)
            swept_at = datetime.now(UTC)
            await sweep_closed(sessions, client, since)
            return swept_at - timedelta(minutes=2)  # overlap: visibility lags a little
        finally:
            await conn.scalar(select(func.pg_advisory_unlock(RECONCILER_LOCK)))
            await lock_session.commit()


async def reconcile_forever(sessions, temporal, settings: ApiSettings) -> None:
    since = datetime.now(UTC) - timedelta(days=7)  # first round: whatever closed while we were down
    while True:
        try:
            since = await round_as_leader(sessions, temporal, settings, since) or since
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("reconciler round failed")
        await asyncio.sleep(settings.reconcile_interval_s)


def closed_status(status: WorkflowExecutionStatus | None) -> str | None:
    return _CLOSED_STATUS.get(status) if status is not None else None
