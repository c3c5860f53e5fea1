"""GET /api/v1/monitoring/stats: executions by status, running now, approvals
waiting and the recent failure rate; an admin sees every user's, a user their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.access import visible
from api.deps import ReadUser, SessionDep
from api.schemas.health import MonitoringStats
from core.db.models import EXECUTION_STATUSES, Approval, Execution

router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring"])
WindowHours = Annotated[int, Query(ge=1, le=24 * 30, description="the failure rate's window")]


@router.get("/stats", response_model=MonitoringStats)
async def stats(principal: ReadUser, session: SessionDep, window_hours: WindowHours = 24) -> MonitoringStats:
    by_status = {status: 0 for status in EXECUTION_STATUSES}
    rows = await session.execute(visible(
        select(Execution.status, func.count()).group_by(Execution.status), Execution, principal))
    by_status.update(dict(rows.all()))
    waiting = await session.scalar(visible(
        select(func.count()).select_from(Approval).join(Execution, Execution.id == Approval.execution_id)
        .where(Approval.status == "pending", Execution.status.in_(("pending", "running"))),
        Execution, principal))
    since = datetime.now(UTC) - timedelta(hours=window_hours)
    recent = dict((await session.execute(visible(
        select(Execution.status, func.count()).where(Execution.finished_at >= since)
        .group_by(Execution.status), Execution, principal))).all())
    finished, failed = sum(recent.values()), recent.get("failed", 0) + recent.get("timed_out", 0)
    return MonitoringStats(
        scope="all" if principal.is_admin else "own", executions_by_status=by_status,
        running=by_status["running"], approvals_waiting=waiting or 0, window_hours=window_hours,
        finished_in_window=finished, failed_in_window=failed,
        failure_rate=round(failed / finished, 4) if finished else None)
