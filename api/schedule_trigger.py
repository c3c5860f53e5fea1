"""A manual run of a schedule ("trigger now"), started through the one start
path (api/starts.py) instead of Temporal's schedule trigger.

Why not Temporal's trigger: it names each run after the action id and the
time to the second, so triggers within one second collide and all but one
are dropped while every caller was told 202. Here every accepted trigger is
its own execution (a fresh id, its pending row committed first, the row
carrying `schedule_id`), and the answer names it.

The price, stated in docs/schedules.md: a manual run is not one of the
Temporal Schedule's actions. The schedule's own overlap policy does not see
it and it is not counted in `num_actions`; the trigger's `overlap` speaks for
this one run only: `allow_all` starts it whatever runs, `skip` refuses it
(409) while a run of the schedule (scheduled or manual) is in progress.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.service import RPCError

from api import schedules as sch
from api import starts
from api.deps import Principal
from api.errors import ApiError
from api.state import AppState
from core.db.models import Execution, User, Workflow
from core.db.models import Schedule as ScheduleRow
from core.execution_state import PENDING, RUNNING
from core.temporal import execution_id_of


async def in_progress(session: AsyncSession, state: AppState, row: ScheduleRow) -> list[str]:
    """Execution ids of the schedule's runs not finished yet: Temporal's running
    actions (a scheduled run may not have recorded its row yet) and the rows."""
    try:
        info = (await state.temporal.get_schedule_handle(row.temporal_schedule_id).describe()).info
    except RPCError as err:
        raise sch.temporal_error(err) from None
    return await with_recorded(session, row, info.running_actions)


async def with_recorded(session: AsyncSession, row: ScheduleRow, running_actions) -> list[str]:
    """Temporal's running actions plus the recorded runs not finished (manual
    runs, which Temporal's schedule does not know of), each once."""
    running = [execution_id_of(r.workflow_id) for r in running_actions if hasattr(r, "workflow_id")]
    recorded = (await session.scalars(select(Execution.id).where(
        Execution.schedule_id == row.id, Execution.status.in_((PENDING, RUNNING)))
        .order_by(Execution.created_at))).all()
    return list(dict.fromkeys([*running, *recorded]))


async def trigger(session: AsyncSession, state: AppState, request: Request, principal: Principal,
                  row: ScheduleRow, wf: Workflow, overlap: str) -> Execution:
    """`row` is locked by the caller: triggers of one schedule are checked one
    after the other, so `skip` sees the pending row of the trigger before it."""
    if overlap == "skip" and (busy := await in_progress(session, state, row)):
        raise ApiError(409, "run_in_progress", f"overlap 'skip': the schedule has {len(busy)} run(s) in "
                       "progress; trigger with overlap 'allow_all' to start one anyway", {"running": busy})
    # Checked as the schedule's own runs are: its version, its inputs, the owner's secrets.
    prepared = await starts.prepare(session, principal, wf, row.version, row.inputs, state.settings,
                                    acting_user=await session.get(User, row.owner_id))
    execution = starts.new_row(prepared, principal, trigger="schedule", schedule_id=row.id)
    # The run is the schedule's, as its scheduled runs are (their owner sees
    # it); `started_by` stays the caller, who pressed the button.
    execution.owner_id = row.owner_id
    return await starts.accept(session, state, request, execution)
