"""Platform schedules as Temporal Schedules: the mapping of their bodies
(api/schemas/schedules.py) to temporalio's Schedule, and the hooks the
workflow routes call (a new version re-targets schedules that follow
`latest`; a deleted workflow pauses its schedules with a reason).

Each run is a normal GraphWorkflow execution whose id Temporal derives from the
action id ("exec-sched-<schedule>-<time>"); the interpreter takes the execution
id from it and records its row at the start, filled from GraphInput.meta.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client, Schedule, ScheduleActionStartWorkflow, ScheduleDescription, ScheduleIntervalSpec, ScheduleOverlapPolicy,
    SchedulePolicy, ScheduleSpec, ScheduleState,
)
from temporalio.service import RPCError, RPCStatusCode

from api import every, schedule_replace, starts
from api.deps import Principal
from api.errors import ApiError, not_found
from api.schemas.schedules import Overlap, PolicyBody, SpecBody
from api.settings import ApiSettings
from core import launch
from core.db.models import Schedule as ScheduleRow
from core.db.models import User, Workflow
from core.temporal import SA_VERSION, temporal_workflow_id
from workflows.plan import Plan

log = logging.getLogger(__name__)
OVERLAP: dict[Overlap, ScheduleOverlapPolicy] = {
    "skip": ScheduleOverlapPolicy.SKIP, "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL, "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate_other": ScheduleOverlapPolicy.TERMINATE_OTHER, "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
}


# -- naming ------------------------------------------------------------------

def new_schedule_id() -> str:
    """Short: a run's execution id is "sched-<this>-<RFC 3339 time>" and must fit 64 characters."""
    return uuid.uuid4().hex[:20]


def temporal_schedule_id(schedule_id: str) -> str:
    return f"sched-{schedule_id}"


def action_workflow_id(schedule_id: str) -> str:
    return temporal_workflow_id(f"sched-{schedule_id}")


# -- mapping -----------------------------------------------------------------

def temporal_spec(spec: SpecBody) -> ScheduleSpec:
    intervals = [ScheduleIntervalSpec(every=timedelta(seconds=i.every_s),
                                      offset=timedelta(seconds=i.offset_s) if i.offset_s else None)
                 for i in spec.intervals]
    if spec.every:
        intervals.append(ScheduleIntervalSpec(every=timedelta(seconds=every.seconds(spec.every))))
    return ScheduleSpec(
        cron_expressions=list(spec.cron_expressions),
        intervals=intervals,
        time_zone_name=spec.time_zone,
        jitter=timedelta(seconds=spec.jitter_s) if spec.jitter_s else None,
        start_at=spec.start_at, end_at=spec.end_at,
    )


def temporal_policy(policy: PolicyBody) -> SchedulePolicy:
    return SchedulePolicy(
        overlap=OVERLAP[policy.overlap],
        catchup_window=timedelta(seconds=policy.catchup_window_s) if policy.catchup_window_s else None,
        pause_on_failure=policy.pause_on_failure,
    )


def temporal_action(row: ScheduleRow, plan: Plan, owner_name: str | None,
                    settings: ApiSettings, template: str | None = None) -> ScheduleActionStartWorkflow:
    """Each run records its own row at its start, filled from `meta`: the
    schedule, trigger `schedule`, started by (and acting for) the schedule's owner,
    and the template the workflow was deployed from (also its search attribute)."""
    meta = {"workflow_id": row.workflow_id, "version": plan.version or 0, "owner_id": row.owner_id,
            "schedule_id": row.id, "started_by": owner_name, "trigger": "schedule"}
    if template:
        meta["template_id"] = template
    return launch.schedule_action(launch.Launch(
        execution_id=f"sched-{row.id}", plan=plan, inputs=row.inputs, owner_id=row.owner_id,
        started_by=owner_name, meta=meta, schedule_id=row.id, trigger="schedule", template=template),
        settings.temporal_task_queue)


def temporal_schedule(row: ScheduleRow, plan: Plan, owner_name: str | None, settings: ApiSettings,
                      state: ScheduleState, template: str | None = None) -> Schedule:
    return Schedule(
        action=temporal_action(row, plan, owner_name, settings, template),
        spec=temporal_spec(SpecBody.model_validate(row.spec, context={"stored": True})),
        policy=temporal_policy(PolicyBody.model_validate(row.policy)),
        state=state,
    )


def spec_dump(spec: SpecBody) -> dict[str, Any]:
    return spec.model_dump(mode="json")


# -- plans ---------------------------------------------------------------------

async def plan_for(session: AsyncSession, principal: Principal, wf: Workflow, row: ScheduleRow,
                   settings: ApiSettings) -> Plan:
    """What the schedule's runs start with, checked as every start is. Its runs
    act for the schedule's owner: their secret access counts (the worker checks
    it again at every run, so a share revoked later stops the runs)."""
    prepared = await starts.prepare(session, principal, wf, row.version, row.inputs, settings,
                                    acting_user=await session.get(User, row.owner_id),
                                    version_path="$.body.version")
    return prepared.plan


async def owner_name(session: AsyncSession, owner_id: str) -> str | None:
    return await session.scalar(select(User.username).where(User.id == owner_id))


def temporal_error(err: RPCError) -> ApiError:
    if err.status == RPCStatusCode.INVALID_ARGUMENT:
        return ApiError(422, "invalid_schedule", f"Temporal refused the schedule: {err.message}",
                        [{"code": "invalid_schedule", "path": "$.body.spec", "message": err.message}])
    if err.status == RPCStatusCode.NOT_FOUND:
        return not_found("schedule")
    return ApiError(503, "temporal_unavailable", err.message)


# -- hooks called by the workflow routes ------------------------------------------

async def follow_latest(session: AsyncSession, client: Client, principal: Principal, wf: Workflow,
                        settings: ApiSettings) -> int:
    """A new version was saved: every live schedule following `latest` now runs it.
    Temporal's update replaces the action atomically: no run is dropped or doubled."""
    # Locked as every change of a schedule is (a PUT of it waits, and then builds on the new version).
    rows = (await session.scalars(select(ScheduleRow).where(
        ScheduleRow.workflow_id == wf.id, ScheduleRow.version.is_(None),
        ScheduleRow.deleted_at.is_(None)).with_for_update())).all()
    done = 0
    for row in rows:
        try:
            plan = await plan_for(session, principal, wf, row, settings)
        except ApiError as err:  # e.g. the new version needs inputs the schedule lacks
            await pause(client, session, row, f"version {wf.latest_version} cannot run: {err.message}")
            continue
        action = temporal_action(row, plan, await owner_name(session, row.owner_id), settings, wf.template_id)

        def build(current: ScheduleDescription, action=action, version=plan.version) -> Schedule | None:
            schedule = current.schedule
            # Two saves racing: never let the slower one put an older version back.
            installed = _installed_version(schedule.action)
            if installed is not None and version is not None and installed >= version:
                return None
            schedule.action = action
            return schedule

        try:
            await schedule_replace.replace(client, row.temporal_schedule_id, build)
            done += 1
        except (RPCError, ApiError) as err:
            log.warning("schedule %s could not follow version %s: %s", row.id, wf.latest_version, err)
        row.updated_at = datetime.now(UTC)
    await session.commit()
    return done


def _installed_version(action: Any) -> int | None:
    attributes = getattr(action, "typed_search_attributes", None)
    return attributes.get(SA_VERSION) if attributes else None


def pause_state(row: ScheduleRow, desc: ScheduleDescription) -> tuple[bool, str | None]:
    """Paused or not as Temporal has it; the reason the row keeps, or Temporal's
    note when the schedule was paused outside the API."""
    state = desc.schedule.state
    if not state.paused:
        return False, None
    return True, row.pause_reason if row.paused else (state.note or None)


def reconcile(row: ScheduleRow, desc: ScheduleDescription) -> None:
    """Under the row lock: the stored paused state becomes Temporal's."""
    row.paused, row.pause_reason = pause_state(row, desc)


async def pause(client: Client, session: AsyncSession, row: ScheduleRow, reason: str) -> None:
    try:
        await client.get_schedule_handle(row.temporal_schedule_id).pause(note=reason)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    row.paused, row.pause_reason, row.updated_at = True, reason, datetime.now(UTC)


async def workflow_deleted(session: AsyncSession, client: Client, wf: Workflow) -> int:
    """Pauses (not deletes) the schedules of a deleted workflow, saying why."""
    rows = (await session.scalars(select(ScheduleRow).where(
        ScheduleRow.workflow_id == wf.id, ScheduleRow.deleted_at.is_(None)).with_for_update())).all()
    for row in rows:
        try:
            await pause(client, session, row, f"workflow {wf.id} was deleted")
        except RPCError as err:
            log.warning("schedule %s of deleted workflow %s not paused: %s", row.id, wf.id, err)
    await session.commit()
    return len(rows)
