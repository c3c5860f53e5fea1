"""/api/v1/enterprise/schedules: platform schedules, each one Temporal Schedule.
Schedules follow workflow ownership: another user's schedule answers 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import func, select
from temporalio.client import Schedule as TemporalSchedule
from temporalio.client import ScheduleAlreadyRunningError, ScheduleBackfill, ScheduleDescription, ScheduleState
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from api import cron, schedule_replace, schedule_trigger
from api import schedules as sch
from api.access import load_owned, load_workflow, visible
from api.deps import DeleteUser, ExecuteUser, Principal, ReadUser, SessionDep, StateDep, WriteUser
from api.errors import ApiError, not_found
from api.schemas.common import Page
from api.schemas.schedules import (
    BackfillRequest, PauseRequest, RunPublic, ScheduleCreate, ScheduleDetail, SchedulePublic, ScheduleUpdate,
    TriggerAccepted, TriggerRequest, trigger_links,
)
from core.db.models import Execution, Workflow
from core.db.models import Schedule as ScheduleRow
from core.temporal import SA_OWNER, SA_VERSION, SA_WORKFLOW_ID, execution_id_of

router = APIRouter(prefix="/api/v1/enterprise/schedules", tags=["schedules"])
ScheduleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _load(session, principal: Principal, schedule_id: str) -> ScheduleRow:
    return await load_owned(session, principal, ScheduleRow, schedule_id, "schedule")


async def _locked(session, principal: Principal, schedule_id: str) -> ScheduleRow:
    """For a change: the row stays locked through the Temporal call and the
    commit, so concurrent changes of one schedule happen one after the other
    and the row ends as Temporal does (the SDK's update is describe-then-replace)."""
    row = await _load(session, principal, schedule_id)
    await session.refresh(row, with_for_update=True)
    if row.deleted_at is not None:
        raise not_found("schedule")
    return row


async def _detail(session, state, row: ScheduleRow, desc: ScheduleDescription | None = None) -> ScheduleDetail:
    """The row plus what only Temporal knows: whether it is paused (Temporal's
    word, not the row's, which a change outside the API could leave behind),
    next times, recent and running runs. `desc`: a description just read."""
    if desc is None:
        try:
            desc = await state.temporal.get_schedule_handle(row.temporal_schedule_id).describe()
        except RPCError as err:
            raise sch.temporal_error(err) from None
    info = desc.info
    paused, pause_reason = sch.pause_state(row, desc)
    recent = [a for a in info.recent_actions if hasattr(a.action, "workflow_id")]
    ids = [execution_id_of(a.action.workflow_id) for a in recent]
    statuses = dict((await session.execute(
        select(Execution.id, Execution.status).where(Execution.id.in_(ids)))).all()) if ids else {}
    attributes = getattr(desc.schedule.action, "typed_search_attributes", None)
    return ScheduleDetail.from_row(
        row, state.settings, running_version=attributes.get(SA_VERSION) if attributes else None,
        paused=paused, pause_reason=pause_reason,
        # Paused, Temporal still computes the times; nothing would start at them.
        next_run_times=[] if paused else list(info.next_action_times),
        recent_runs=[RunPublic(execution_id=execution_id_of(a.action.workflow_id),
                               temporal_workflow_id=a.action.workflow_id,
                               temporal_run_id=a.action.first_execution_run_id, scheduled_at=a.scheduled_at,
                               started_at=a.started_at, status=statuses.get(execution_id_of(a.action.workflow_id)))
                     for a in reversed(recent)],
        running=await schedule_trigger.with_recorded(session, row, info.running_actions),
        num_actions=info.num_actions)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScheduleDetail,
             responses={422: {"description": "invalid cron, time zone, times, version or inputs"}})
async def create_schedule(body: ScheduleCreate, principal: WriteUser, session: SessionDep,
                          state: StateDep, request: Request) -> ScheduleDetail:
    wf = await load_workflow(session, principal, body.workflow_id)
    schedule_id = sch.new_schedule_id()
    row = ScheduleRow(
        id=schedule_id, workflow_id=wf.id, owner_id=wf.owner_id,  # follows the workflow's owner
        version=None if body.version == "latest" else body.version,
        spec=sch.spec_dump(body.spec), policy=body.policy.model_dump(mode="json"), inputs=body.inputs,
        notes=body.notes, paused=body.paused, temporal_schedule_id=sch.temporal_schedule_id(schedule_id),
    )
    plan = await sch.plan_for(session, principal, wf, row, state.settings)
    client = state.temporal
    await cron.check_crons(client, body.spec.cron_expressions)
    schedule = sch.temporal_schedule(row, plan, await sch.owner_name(session, wf.owner_id), state.settings,
                                     ScheduleState(note=body.notes or None, paused=body.paused), wf.template_id)
    # The row first: a crash after Temporal's create leaves no schedule nobody can see.
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("schedules", row.id)
    try:
        await client.create_schedule(
            row.temporal_schedule_id, schedule, memo={"schedule_id": row.id, "workflow_id": wf.id},
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(SA_WORKFLOW_ID, wf.id), SearchAttributePair(SA_OWNER, wf.owner_id)]))
    except (RPCError, ScheduleAlreadyRunningError) as err:
        await session.delete(row)
        await session.commit()
        if isinstance(err, RPCError):
            raise sch.temporal_error(err) from None
        raise ApiError(409, "conflict", "the schedule exists already") from None
    return await _detail(session, state, row)


@router.get("", response_model=Page[SchedulePublic])
async def list_schedules(
    principal: ReadUser, session: SessionDep, state: StateDep,
    workflow_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    stmt = visible(select(ScheduleRow), ScheduleRow, principal).where(ScheduleRow.deleted_at.is_(None))
    if workflow_id:
        stmt = stmt.where(ScheduleRow.workflow_id == workflow_id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(ScheduleRow.created_at.desc(), ScheduleRow.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [SchedulePublic.from_row(r, state.settings) for r in rows], "total": total, "limit": limit,
            "offset": offset}


@router.get("/{schedule_id}", response_model=ScheduleDetail)
async def get_schedule(schedule_id: ScheduleId, principal: ReadUser, session: SessionDep,
                       state: StateDep) -> ScheduleDetail:
    return await _detail(session, state, await _load(session, principal, schedule_id))


@router.get("/{schedule_id}/runs", response_model=Page[RunPublic])
async def list_runs(schedule_id: ScheduleId, principal: ReadUser, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict:
    """Every recorded run of the schedule (its executions, newest first)."""
    row = await _load(session, principal, schedule_id)
    stmt = select(Execution).where(Execution.schedule_id == row.id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    runs = (await session.scalars(stmt.order_by(Execution.created_at.desc(), Execution.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [RunPublic.from_row(r) for r in runs], "total": total, "limit": limit, "offset": offset}


@router.put("/{schedule_id}", response_model=ScheduleDetail,
            responses={422: {"description": "invalid cron, time zone, times, version or inputs"},
                       409: {"description": "schedule_conflict: the schedule kept changing in Temporal meanwhile"}})
async def update_schedule(schedule_id: ScheduleId, body: ScheduleUpdate, principal: WriteUser,
                          session: SessionDep, state: StateDep) -> ScheduleDetail:
    """Replaces what is given; Temporal swaps the schedule atomically, so no run
    is dropped or started twice by the update."""
    row = await _locked(session, principal, schedule_id)
    wf = await _live_workflow(session, row)
    if body.version is not None:
        row.version = None if body.version == "latest" else body.version
    if body.spec is not None:
        row.spec = sch.spec_dump(body.spec)
    if body.policy is not None:
        row.policy = body.policy.model_dump(mode="json")
    if body.inputs is not None:
        row.inputs = body.inputs
    if body.notes is not None:
        row.notes = body.notes
    plan = await sch.plan_for(session, principal, wf, row, state.settings)
    if body.spec is not None:
        await cron.check_crons(state.temporal, body.spec.cron_expressions)
    name = await sch.owner_name(session, row.owner_id)

    def build(current: ScheduleDescription) -> TemporalSchedule:  # the state stays Temporal's
        return sch.temporal_schedule(row, plan, name, state.settings, current.schedule.state, wf.template_id)

    try:
        desc = await schedule_replace.replace(state.temporal, row.temporal_schedule_id, build)
    except RPCError as err:
        await session.rollback()
        raise sch.temporal_error(err) from None
    except ApiError:  # schedule_conflict: nothing of this update is stored
        await session.rollback()
        raise
    sch.reconcile(row, desc)
    row.updated_at = datetime.now(UTC)
    await session.commit()
    return await _detail(session, state, row, desc)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_schedule(schedule_id: ScheduleId, principal: DeleteUser, session: SessionDep,
                          state: StateDep) -> Response:
    """Deletes the Temporal Schedule; runs already started finish normally."""
    row = await _locked(session, principal, schedule_id)
    try:
        await state.temporal.get_schedule_handle(row.temporal_schedule_id).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise sch.temporal_error(err) from None
    row.deleted_at = row.updated_at = datetime.now(UTC)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{schedule_id}/pause", response_model=ScheduleDetail)
async def pause_schedule(schedule_id: ScheduleId, principal: WriteUser, session: SessionDep, state: StateDep,
                         body: PauseRequest | None = None) -> ScheduleDetail:
    row = await _locked(session, principal, schedule_id)
    note = (body.note if body else "") or f"paused by {principal.user.username}"
    try:
        await sch.pause(state.temporal, session, row, note)
    except RPCError as err:
        raise sch.temporal_error(err) from None
    return await _commit_as_temporal(session, state, row)


@router.post("/{schedule_id}/unpause", response_model=ScheduleDetail,
             responses={409: {"description": "the schedule's workflow was deleted"}})
async def unpause_schedule(schedule_id: ScheduleId, principal: WriteUser, session: SessionDep, state: StateDep,
                           body: PauseRequest | None = None) -> ScheduleDetail:
    row = await _locked(session, principal, schedule_id)
    await _live_workflow(session, row)
    note = (body.note if body else "") or f"unpaused by {principal.user.username}"
    try:
        await state.temporal.get_schedule_handle(row.temporal_schedule_id).unpause(note=note)
    except RPCError as err:
        raise sch.temporal_error(err) from None
    row.paused, row.pause_reason, row.updated_at = False, None, datetime.now(UTC)
    return await _commit_as_temporal(session, state, row)


async def _commit_as_temporal(session, state, row: ScheduleRow) -> ScheduleDetail:
    """Still under the row lock: the row takes Temporal's paused state as it is
    after the change (a change outside the API included), then commits."""
    try:
        desc = await state.temporal.get_schedule_handle(row.temporal_schedule_id).describe()
    except RPCError as err:
        await session.commit()  # the change itself went through: store what it did
        raise sch.temporal_error(err) from None
    sch.reconcile(row, desc)
    await session.commit()
    return await _detail(session, state, row, desc)


@router.post("/{schedule_id}/trigger", status_code=status.HTTP_202_ACCEPTED, response_model=TriggerAccepted,
             responses={409: {"description": "the schedule's workflow was deleted, or overlap 'skip' and a run "
                                             "is in progress"}})
async def trigger_schedule(schedule_id: ScheduleId, principal: ExecuteUser, session: SessionDep,
                           state: StateDep, request: Request, body: TriggerRequest | None = None) -> TriggerAccepted:
    """Starts one run now (even while paused): each accepted trigger is its own
    execution, named in the answer (api/schedule_trigger.py)."""
    overlap = (body or TriggerRequest()).overlap
    row = await _locked(session, principal, schedule_id)
    wf = await _live_workflow(session, row)
    execution = await schedule_trigger.trigger(session, state, request, principal, row, wf, overlap)
    return TriggerAccepted.from_row(execution, state.settings, schedule_id=row.id, overlap=overlap,
                                    links=trigger_links(execution.id, row.id))


@router.post("/{schedule_id}/backfill", status_code=status.HTTP_202_ACCEPTED, response_model=ScheduleDetail,
             responses={409: {"description": "the schedule's workflow was deleted"}})
async def backfill_schedule(schedule_id: ScheduleId, body: BackfillRequest, principal: ExecuteUser,
                            session: SessionDep, state: StateDep) -> ScheduleDetail:
    """Starts the runs the schedule would have started between the two times."""
    row = await _load(session, principal, schedule_id)
    await _live_workflow(session, row)
    backfill = ScheduleBackfill(start_at=body.start_at, end_at=body.end_at, overlap=sch.OVERLAP[body.overlap])
    try:
        await state.temporal.get_schedule_handle(row.temporal_schedule_id).backfill(backfill)
    except RPCError as err:
        raise sch.temporal_error(err) from None
    return await _detail(session, state, row)


async def _live_workflow(session, row: ScheduleRow) -> Workflow:
    wf = await session.get(Workflow, row.workflow_id)
    if wf is None or wf.deleted_at is not None:
        raise ApiError(409, "workflow_deleted", f"the schedule's workflow {row.workflow_id} was deleted")
    return wf
