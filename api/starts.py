"""The one path every execution the API accepts takes: a start, an approval
gate, a rerun, a schedule's action (prepare only), and later template
deploys and AI drafts.

1. `prepare`: the version, the inputs checked against its schema, the plan
   compiled (approvers bound, sub-workflows resolved), the secrets it uses
   checked against the acting user.
2. `new_row` + `accept`: the pending row is committed before Temporal hears of
   it, so a crash from then on leaves a row the reconciler starts under the
   same id; then the idempotent start (core/launch.py) and pending -> running
   (core/execution_state.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.service import RPCError, RPCStatusCode

from api import secret_access
from api.definitions import compile_version
from api.deps import Principal
from api.errors import ApiError, not_found
from api.settings import ApiSettings
from api.state import AppState
from core import execution_state, launch
from core.db.base import new_id
from core.db.models import EXECUTION_TRIGGERS, Execution, User, Workflow, WorkflowVersion
from core.temporal import temporal_workflow_id
from workflows.plan import Plan
from workflows.validation import validate_run_inputs

log = logging.getLogger(__name__)
# Errors that will not heal by retrying: the row is marked failed.
PERMANENT_ERRORS = {RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.FAILED_PRECONDITION,
                    RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.NOT_FOUND}


@dataclass(frozen=True)
class Prepared:
    workflow: Workflow
    version: int
    inputs: dict[str, Any]
    plan: Plan


async def prepare(session: AsyncSession, principal: Principal, wf: Workflow, version: int | None,
                  inputs: dict[str, Any], settings: ApiSettings, *, acting_user: User | None = None,
                  version_path: str | None = None) -> Prepared:
    """Everything checked before a run is accepted. `acting_user`: whose secrets
    the run uses (default the caller; a schedule's owner for its runs).
    `version_path`: a missing version is a 422 at that body path instead of 404."""
    number = version or wf.latest_version
    row = await session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == wf.id, WorkflowVersion.version == number))
    if row is None:
        if version_path is None:
            raise not_found("version")
        raise ApiError(422, "validation_error", "no such version of the workflow",
                       [{"code": "unknown_version", "path": version_path,
                         "message": f"workflow {wf.id} has no version {version}"}])
    if issues := validate_run_inputs(row.inputs_schema, inputs):
        raise ApiError(422, "invalid_inputs", f"the inputs have {len(issues)} problem(s)",
                       [i.public() for i in issues])
    plan = await compile_version(session, principal, wf, row, settings.node_output_cap_bytes)
    await secret_access.check_plan(session, acting_user or principal.user, plan, settings)
    return Prepared(workflow=wf, version=number, inputs=inputs, plan=plan)


def new_row(prepared: Prepared, principal: Principal, *, trigger: str, **extra: Any) -> Execution:
    """The pending row of an accepted run (extra: gate, options, idempotency key,
    source_execution_id...). `trigger`: what started it (EXECUTION_TRIGGERS),
    said by every start path; the caller is who started it."""
    if trigger not in EXECUTION_TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    eid = new_id()
    return Execution(id=eid, workflow_id=prepared.workflow.id, version=prepared.version, owner_id=principal.id,
                     status=execution_state.PENDING, inputs=prepared.inputs,
                     plan=prepared.plan.model_dump(mode="json"), temporal_workflow_id=temporal_workflow_id(eid),
                     started_by=principal.user.username, trigger=trigger,
                     template_id=prepared.workflow.template_id, **extra)


async def accept(session: AsyncSession, state: AppState, request: Request, row: Execution) -> Execution:
    """Commits the pending row (an IntegrityError, e.g. a duplicate
    Idempotency-Key, reaches the caller), then starts it."""
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("executions", row.id)
    await start_after_commit(session, state, row)
    return row


async def start_after_commit(session: AsyncSession, state: AppState, row: Execution) -> None:
    """The idempotent start, then pending -> running. Temporal refusing for good
    fails the row (503); Temporal unreachable, even never reached since the API
    started, leaves the row pending for the reconciler and the answer is 202."""
    try:
        client = state.temporal
        handle = await launch.start(client, launch.Launch.from_row(row), state.settings.temporal_task_queue)
    except RPCError as err:
        if err.status in PERMANENT_ERRORS:
            await execution_state.start_failed(session, row.id, f"could not start: {err.message}")
            await session.commit()
            raise ApiError(503, "start_failed", f"Temporal refused the start: {err.message}") from None
        log.warning("start of %s deferred to the reconciler: %s", row.id, err)
    except Exception as err:  # noqa: BLE001 - Temporal unreachable: the reconciler starts it later
        log.warning("start of %s deferred to the reconciler: %s", row.id, err)
    else:
        await mark_started(session, row.id, launch.run_id(handle), client)
    await session.refresh(row)


async def mark_started(session: AsyncSession, execution_id: str, run_id: str, client=None) -> None:
    """pending -> running. A row cancelled while its start was in flight gets
    its just-started workflow cancelled, so the two agree."""
    await execution_state.started(session, execution_id, run_id)
    status = await session.scalar(select(Execution.status).where(Execution.id == execution_id))
    await session.commit()
    if status == "cancelled" and client is not None:
        try:
            await client.get_workflow_handle(temporal_workflow_id(execution_id)).cancel()
        except RPCError as err:
            log.warning("could not cancel %s after a cancel raced its start: %s", execution_id, err)

