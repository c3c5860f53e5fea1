"""The one owner of an execution row's status, used by the API (starts,
cancel, terminate, reset, the reconciler) and the worker (the record and
approval activities). Every write of `executions.status` is one of the
transitions below, as a guarded UPDATE, so concurrent writers in two
processes can only move a row forward:

    pending ──▶ running ──▶ succeeded | failed | cancelled | terminated | timed_out
       └──────────────────▶ (any of those: a start refused, a cancel before the
                             start, a run that recorded itself before the API saw it start)

Within one Temporal run a final status never changes again (repeating it is a
no-op). A Temporal reset makes a new run of the same execution: that run
starts over from `running` (`reopened`, or its own record arriving first).
The functions execute and return whether the row changed; callers commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.dialects.postgresql import Insert, insert

from core.db.models import TERMINAL_EXECUTION_STATUSES as TERMINAL
from core.db.models import Execution

PENDING, RUNNING = "pending", "running"
OUTSIDE_API = "cli"  # the trigger of a row the worker creates for a run the API never saw
NEXT: dict[str, frozenset[str]] = {
    PENDING: frozenset({RUNNING, *TERMINAL}),
    RUNNING: frozenset({RUNNING, *TERMINAL}),
    **{final: frozenset({final}) for final in TERMINAL},
}
# What the interpreter reports (GraphResult.status) -> the row's status.
FROM_RESULT = {"awaiting_approval": RUNNING, "running": RUNNING, "succeeded": "succeeded",
               "failed": "failed", "cancelled": "cancelled"}


class IllegalTransition(ValueError):
    pass


def allowed(current: str, new: str) -> bool:
    return new in NEXT.get(current, frozenset())


def sources(new: str) -> list[str]:
    """Every status a row may be in for `new` to be written over it."""
    if new not in NEXT:
        raise IllegalTransition(f"unknown execution status {new!r}")
    return sorted(status for status, targets in NEXT.items() if new in targets)


def _move(execution_id: str, new: str, *extra: ColumnElement) -> Any:
    return update(Execution).where(Execution.id == execution_id, Execution.status.in_(sources(new)), *extra)


async def started(db, execution_id: str, run_id: str) -> bool:
    """Temporal accepted the start: pending -> running. The run id is kept once
    (a workflow that recorded itself already set it)."""
    await db.execute(update(Execution).where(Execution.id == execution_id, Execution.temporal_run_id.is_(None))
                     .values(temporal_run_id=run_id))
    moved = await db.execute(update(Execution).where(Execution.id == execution_id, Execution.status == PENDING)
                             .values(status=RUNNING, started_at=datetime.now(UTC)))
    return moved.rowcount > 0


async def start_failed(db, execution_id: str, message: str) -> bool:
    """Temporal refused the start for good: pending -> failed."""
    moved = await db.execute(update(Execution).where(Execution.id == execution_id, Execution.status == PENDING)
                             .values(status="failed", finished_at=datetime.now(UTC),
                                     error={"code": "start_failed", "message": message}))
    return moved.rowcount > 0


async def closed_by_api(db, execution_id: str, final: str) -> bool:
    """Cancelled before its start, or terminated: pending/running -> final."""
    if final not in ("cancelled", "terminated"):
        raise IllegalTransition(f"the API closes executions as cancelled or terminated, not {final!r}")
    moved = await db.execute(update(Execution).where(
        Execution.id == execution_id, Execution.status.in_((PENDING, RUNNING)),
    ).values(status=final, finished_at=datetime.now(UTC)))
    return moved.rowcount > 0


async def closed_outside(db, execution_id: str, run_id: str, final: str, at: datetime | None) -> bool:
    """The run the row follows closed without recording itself (terminated in
    the Web UI, timed out...): running -> Temporal's final status."""
    if final not in TERMINAL:
        raise IllegalTransition(f"{final!r} is not a final status")
    moved = await db.execute(update(Execution).where(
        Execution.id == execution_id, Execution.status == RUNNING,
        or_(Execution.temporal_run_id == run_id, Execution.temporal_run_id.is_(None)),
    ).values(status=final, finished_at=at or datetime.now(UTC),
             error={"code": f"closed_{final}",
                    "message": f"the execution was {final} in Temporal without recording its summary"}))
    return moved.rowcount > 0


async def reopened(db, execution_id: str, old_run: str | None, new_run: str) -> bool:
    """A reset: a new run of the execution starts over (only while the row
    still follows the old run; the new run may have recorded itself already)."""
    moved = await db.execute(update(Execution).where(
        Execution.id == execution_id, Execution.temporal_run_id == old_run,
    ).values(temporal_run_id=new_run, status=RUNNING, finished_at=None, error=None, duration_ms=None))
    return moved.rowcount > 0


def recorded(values: dict[str, Any], *, execution_id: str, workflow_id: str, run_id: str,
             new_row: dict[str, Any]) -> Insert:
    """The worker's record of a run (status from the interpreter): an upsert
    keyed by execution id that writes an existing row only when it belongs to
    this Temporal workflow and the transition is allowed for this run; a run
    started outside the API gets its row (a scheduled run's says so in
    `new_row`; any other was started outside the API: trigger `cli`)."""
    status = values["status"]
    for_this_run = or_(Execution.temporal_run_id.is_(None), Execution.temporal_run_id == run_id)
    moves = or_(
        and_(Execution.status.in_(sources(status)), for_this_run),
        # A reset's new run recording itself before the API moved the row to it.
        and_(Execution.status.in_(sorted(TERMINAL)), Execution.temporal_run_id.is_distinct_from(run_id)),
    )
    return insert(Execution).values(
        id=execution_id, temporal_workflow_id=workflow_id, inputs={}, temporal_run_id=run_id,
        **values, **{"trigger": OUTSIDE_API, **new_row},
    ).on_conflict_do_update(index_elements=[Execution.id], set_={**values, "temporal_run_id": run_id},
                            where=and_(Execution.temporal_workflow_id == workflow_id, moves))


def placeholder(execution_id: str, workflow_id: str, run_id: str | None, started_by: str | None) -> Insert:
    """A running row for an execution the API never saw (an approval in a run
    started outside it), so its approvals can be listed; never touches a row."""
    return insert(Execution).values(
        id=execution_id, temporal_workflow_id=workflow_id, temporal_run_id=run_id, inputs={},
        status=RUNNING, started_by=started_by, trigger=OUTSIDE_API,
    ).on_conflict_do_nothing()
