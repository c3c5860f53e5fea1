"""/api/v1/workflows: CRUD over immutable versions, validation, Mermaid graph."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from api import schedules, secret_access, workflow_saves
from api.access import load_workflow, visible
from api.approvers import resolve_definition
from api.definitions import check_privileges, mermaid, validate_or_raise
from api.deps import DeleteUser, Principal, ReadUser, SessionDep, StateDep, WriteUser
from api.errors import not_found
from api.schemas.common import MAX_INT, Page, ResourceId, VersionNumber
from api.schemas.workflows import ValidationReport, VersionDetail, VersionPublic, WorkflowDetail, WorkflowPublic
from api.workflow_saves import version_row
from core.db.models import Workflow, WorkflowVersion

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])

EXAMPLE = {
    "name": "Hello", "inputs": {"type": "object", "properties": {"who": {"type": "string"}}},
    "nodes": [{"id": "greet", "type": "transform", "config": {"output": "Hello {{ inputs.who }}"}}],
    "edges": [],
}
DefinitionBody = Annotated[dict[str, Any], Body(
    description="a workflow definition in the graph DSL (see docs/dsl.md)",
    openapi_examples={"hello": {"value": EXAMPLE}})]
SORTS = {"name": Workflow.name, "created_at": Workflow.created_at, "updated_at": Workflow.updated_at}


@router.get("", response_model=Page[WorkflowPublic])
async def list_workflows(
    principal: ReadUser, session: SessionDep,
    name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = "-created_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    stmt = visible(select(Workflow), Workflow, principal).where(Workflow.deleted_at.is_(None))
    if name:
        stmt = stmt.where(Workflow.name.ilike("%" + _like_escape(name) + "%", escape="\\"))
    if tag:
        stmt = stmt.where(Workflow.tags.contains([tag]))
    column = SORTS[sort.lstrip("-")]
    ordered = stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), Workflow.id)
    # One round trip: the total rides along as a window count on each row.
    rows = (await session.execute(ordered.add_columns(func.count().over()).limit(limit).offset(offset))).all()
    if rows:
        total = rows[0][1]
    else:  # past the last page: still answer the true total
        total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    return {"items": [row[0] for row in rows], "total": total, "limit": limit, "offset": offset}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkflowDetail,
             responses={422: {"description": "every problem of the definition, or secrets the saver "
                                             "may not use"}})
async def create_workflow(definition: DefinitionBody, principal: WriteUser, session: SessionDep,
                          state: StateDep, request: Request) -> WorkflowDetail:
    wf = await workflow_saves.create(session, state, principal, definition)
    await session.commit()
    request.scope["agentic.resource"] = ("workflows", wf.id)
    return WorkflowDetail.of(wf, definition=definition)


@router.post("/validate", response_model=ValidationReport,
             responses={422: {"description": "every problem, each with its JSON path"}})
async def validate(definition: DefinitionBody, principal: ReadUser, session: SessionDep,
                   state: StateDep) -> ValidationReport:
    await validate_or_raise(definition, state.egress)
    await secret_access.check_definition(session, principal.user, definition, state.settings)
    return ValidationReport(valid=True, issues=[])


@router.get("/{workflow_id}", response_model=WorkflowDetail)
async def get_workflow(workflow_id: ResourceId, principal: ReadUser, session: SessionDep) -> WorkflowDetail:
    wf = await load_workflow(session, principal, workflow_id)
    return WorkflowDetail.of(wf, definition=(await _load_version(session, wf, wf.latest_version)).definition)


@router.put("/{workflow_id}", response_model=WorkflowDetail,
            responses={422: {"description": "every problem of the definition"}})
async def update_workflow(workflow_id: ResourceId, definition: DefinitionBody, principal: WriteUser,
                          session: SessionDep, state: StateDep) -> WorkflowDetail:
    """Saves the definition as a new immutable version; running executions keep theirs."""
    wf = await load_workflow(session, principal, workflow_id)
    parsed = await validate_or_raise(definition, state.egress)
    types, privileged = check_privileges(definition, principal)
    await secret_access.check_definition(session, principal.user, definition, state.settings)
    approver_ids = await resolve_definition(session, definition)
    # Row lock: two concurrent updates get consecutive version numbers, and a
    # delete that committed while this one was validating is seen here.
    await session.refresh(wf, with_for_update=True)
    if wf.deleted_at is not None:
        raise not_found("workflow")
    wf.latest_version += 1
    wf.name, wf.description, wf.tags = parsed.name, parsed.description, parsed.tags
    wf.updated_at = datetime.now(UTC)
    session.add(version_row(wf, wf.latest_version, definition, parsed.inputs, types, privileged, principal,
                         approver_ids))
    await session.commit()
    await _schedules_follow(session, state, principal, wf)
    return WorkflowDetail.of(wf, definition=definition)


@router.delete("/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_workflow(workflow_id: ResourceId, principal: DeleteUser, session: SessionDep,
                          state: StateDep) -> Response:
    wf = await load_workflow(session, principal, workflow_id)
    await session.refresh(wf, with_for_update=True)  # after an update in flight, never beside it
    if wf.deleted_at is not None:
        raise not_found("workflow")
    wf.deleted_at = datetime.now(UTC)
    await session.commit()
    try:  # its schedules are paused with the reason, not left to fail
        await schedules.workflow_deleted(session, state.temporal, wf)
    except Exception:  # noqa: BLE001 - the delete stands; the schedule runs fail visibly instead
        log.exception("could not pause the schedules of deleted workflow %s", wf.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{workflow_id}/versions", response_model=list[VersionPublic])
async def list_versions(workflow_id: ResourceId, principal: ReadUser, session: SessionDep) -> list:
    wf = await load_workflow(session, principal, workflow_id)
    return list((await session.scalars(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == wf.id).order_by(WorkflowVersion.version))).all())


@router.get("/{workflow_id}/versions/{version}", response_model=VersionDetail)
async def get_version(workflow_id: ResourceId, version: VersionNumber, principal: ReadUser, session: SessionDep):
    wf = await load_workflow(session, principal, workflow_id)
    return await _load_version(session, wf, version)


# Not response_class=PlainTextResponse: that would document errors as text too.
@router.get("/{workflow_id}/graph", response_model=None,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Mermaid flowchart"}})
async def graph(workflow_id: ResourceId, principal: ReadUser, session: SessionDep,
                version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> PlainTextResponse:
    wf = await load_workflow(session, principal, workflow_id)
    row = await _load_version(session, wf, version or wf.latest_version)
    return PlainTextResponse(mermaid(row.definition))


async def _schedules_follow(session, state, principal: Principal, wf: Workflow) -> None:
    """Schedules following `latest` run the new version from now on."""
    try:
        await schedules.follow_latest(session, state.temporal, principal, wf, state.settings)
    except Exception:  # noqa: BLE001 - the version is saved; the schedules keep the previous one
        log.exception("schedules of workflow %s could not follow version %s", wf.id, wf.latest_version)


async def _load_version(session, wf: Workflow, version: int) -> WorkflowVersion:
    row = await session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == wf.id, WorkflowVersion.version == version))
    if row is None:
        raise not_found("version")
    return row


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
