"""/api/v1/templates: the marketplace. Storage, checks and parameter binding
are templates/; a deploy creates the workflow through api/workflow_saves.py
(the path of POST /workflows) and its optional first run through api/starts.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, or_, select

from api import secret_access, starts, workflow_saves
from api.access import load_workflow, owner_or_admin
from api.deps import AdminUser, DeleteUser, Principal, ReadUser, SessionDep, StateDep, WriteUser
from api.errors import ApiError, not_found
from api.schemas.common import MAX_INT, Page, ResourceId
from api.schemas.templates import (
    CategoryCount, TemplateCreate, TemplateDeployed, TemplateDeployRequest, TemplateDetail, TemplatePublic,
    TemplatePublish, TemplateVersionPublic,
)
from api.schemas.workflows import WorkflowDetail
from api.template_bodies import IMPORT_BODY, read_import
from core import expression_threads
from core.db.models import Template, WorkflowVersion
from templates import checks, params, store
from templates.spec import TemplateSpec
from workflows.expressions import ExpressionError

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])


def _visible(stmt, principal: Principal):
    """Built-ins and published templates for everyone; private ones for their owner and admins."""
    stmt = stmt.where(Template.deleted_at.is_(None))
    return stmt if principal.is_admin else stmt.where(or_(Template.public, Template.owner_id == principal.id))


@router.get("", response_model=Page[TemplatePublic])
async def list_templates(
    principal: ReadUser, session: SessionDep,
    category: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the name or description")] = None,
    builtin: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    stmt = _visible(select(Template), principal)
    if category:
        stmt = stmt.where(Template.category == category)
    if tag:
        stmt = stmt.where(Template.tags.contains([tag]))
    for word in (q or "").split()[:10]:  # every word, in the name or the description
        pattern = "%" + _like_escape(word) + "%"
        stmt = stmt.where(or_(Template.name.ilike(pattern, escape="\\"),
                              Template.description.ilike(pattern, escape="\\")))
    if builtin is not None:
        stmt = stmt.where(Template.builtin_key.is_not(None) if builtin else Template.builtin_key.is_(None))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(Template.name, Template.id).limit(limit).offset(offset))).all()
    return {"items": [TemplatePublic.of(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/categories", response_model=list[CategoryCount])
async def categories(principal: ReadUser, session: SessionDep) -> list[CategoryCount]:
    visible = _visible(select(Template.category), principal).subquery()
    rows = (await session.execute(select(visible.c.category, func.count()).group_by(visible.c.category)
                                  .order_by(visible.c.category))).all()
    return [CategoryCount(category=c, count=n) for c, n in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TemplateDetail,
             responses={422: {"description": "every problem of the template, each with its JSON path"}})
async def create_template(body: TemplateCreate, principal: WriteUser, session: SessionDep, state: StateDep,
                          request: Request) -> TemplateDetail:
    spec = await _checked(await _spec_of(session, principal, body), state.settings.expression_timeout_s)
    row = store.add(session, spec, owner_id=principal.id, created_by=principal.id)
    await session.commit()
    request.scope["agentic.resource"] = ("templates", row.id)
    return TemplateDetail.of(row)


@router.post("/import", status_code=status.HTTP_201_CREATED, response_model=TemplateDetail,
             openapi_extra={"requestBody": IMPORT_BODY},
             responses={422: {"description": "unreadable, or every problem of the template with its path"}})
async def import_template(principal: WriteUser, session: SessionDep, state: StateDep,
                          request: Request) -> TemplateDetail:
    """A template as exported (GET /{id}/export): JSON or YAML, as the body or a
    multipart file `file`. Nothing is created unless every check passes."""
    raw = await read_import(request)
    if isinstance(raw, dict) and not raw.get("author"):
        raw = {**raw, "author": principal.user.username}
    spec = await _checked(raw, state.settings.expression_timeout_s)
    row = store.add(session, spec, owner_id=principal.id, created_by=principal.id)
    await session.commit()
    request.scope["agentic.resource"] = ("templates", row.id)
    return TemplateDetail.of(row)


@router.get("/{template_id}", response_model=TemplateDetail)
async def get_template(template_id: ResourceId, principal: ReadUser, session: SessionDep) -> TemplateDetail:
    return TemplateDetail.of(await _load(session, principal, template_id))


@router.get("/{template_id}/versions", response_model=list[TemplateVersionPublic])
async def list_versions(template_id: ResourceId, principal: ReadUser, session: SessionDep) -> list:
    return await store.versions(session, await _load(session, principal, template_id))


@router.get("/{template_id}/export", response_model=dict[str, Any],
            responses={200: {"description": "the version's spec, ready for POST /import (no secret values: "
                                            "a template can only hold secret names)"}})
async def export_template(template_id: ResourceId, principal: ReadUser, session: SessionDep,
                          version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None) -> JSONResponse:
    row = await _load(session, principal, template_id)
    found = await store.version(session, row, version)
    if found is None:
        raise not_found("template version")
    filename = f"{row.builtin_key or row.id}-{found.semver}.json"
    return JSONResponse(found.spec, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.put("/{template_id}", response_model=TemplateDetail,
            responses={409: {"description": "the version is not greater than the latest"},
                       422: {"description": "every problem of the template"}})
async def update_template(template_id: ResourceId, body: TemplateCreate, principal: WriteUser,
                          session: SessionDep, state: StateDep) -> TemplateDetail:
    """A new immutable version; deployed workflows keep the version they came from."""
    row = await _load_editable(session, principal, template_id)
    spec = await _checked(await _spec_of(session, principal, body), state.settings.expression_timeout_s)
    await session.refresh(row, with_for_update=True)
    if row.deleted_at is not None:
        raise not_found("template")
    try:
        await store.add_version(session, row, spec, created_by=principal.id)
    except store.VersionNotNewer as err:
        raise ApiError(409, "version_not_newer", str(err),
                       [{"code": "version_not_newer", "path": "$.version", "message": str(err)}]) from None
    await session.commit()
    return TemplateDetail.of(row)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_template(template_id: ResourceId, principal: DeleteUser, session: SessionDep) -> Response:
    """Soft: workflows deployed from it keep working and keep its id."""
    row = await _load_editable(session, principal, template_id)
    row.deleted_at = datetime.now(UTC)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{template_id}/publish", response_model=TemplateDetail)
async def publish_template(template_id: ResourceId, body: TemplatePublish, principal: AdminUser,
                           session: SessionDep) -> TemplateDetail:
    """Admins only: a published template is listed for every user."""
    row = await _load(session, principal, template_id)
    row.public = body.public
    await session.commit()
    return TemplateDetail.of(row)


@router.post("/{template_id}/deploy", status_code=status.HTTP_201_CREATED, response_model=TemplateDeployed,
             responses={422: {"description": "parameters that do not match the schema, secrets the caller "
                                             "may not use, or a graph the parameters make invalid"}})
async def deploy_template(template_id: ResourceId, body: TemplateDeployRequest, principal: WriteUser,
                          session: SessionDep, state: StateDep, request: Request) -> TemplateDeployed:
    """Parameters bound -> a new workflow (version 1) owned by the caller, and
    with `run` its first execution (trigger `template`). All or nothing."""
    row = await _load(session, principal, template_id)
    found = await store.version(session, row, body.version)
    if found is None:
        raise ApiError(422, "validation_error", "no such version of the template",
                       [{"code": "unknown_version", "path": "$.version",
                         "message": f"template {row.id} has no version {body.version}"}])
    spec = TemplateSpec.model_validate(found.spec)
    values = params.with_defaults(spec.parameters, body.params)  # a default satisfies `required`
    if problems := params.check_values(spec.parameters, values):
        raise ApiError(422, "invalid_params", f"the parameters have {len(problems)} problem(s)",
                       [p.public() for p in problems])
    await secret_access.require(session, principal.user, {name: [f"$.template.secrets[{i}]"]
                                                          for i, name in enumerate(spec.secrets)}, state.settings)
    definition = await _bound(spec, values, body.name, state.settings.expression_timeout_s)
    wf = await workflow_saves.create(session, state, principal, definition, template_id=row.id,
                                     template_version=found.version)
    execution = None
    if body.run is not None:  # prepared before the commit: a refused run leaves no workflow behind
        prepared = await starts.prepare(session, principal, wf, 1, body.run.inputs, state.settings)
        execution = starts.new_row(prepared, principal, trigger="template")
    detail = WorkflowDetail.of(wf, definition=definition)
    result = TemplateDeployed(template_id=row.id, template_version=found.version, workflow=detail)
    request.scope["agentic.resource"] = ("workflows", wf.id)
    if execution is None:
        await session.commit()
        return result
    await starts.accept(session, state, request, execution)
    return result.model_copy(update={"execution_id": execution.id})


async def _bound(spec: TemplateSpec, values: dict[str, Any], name: str | None, timeout_s: float) -> dict[str, Any]:
    """The graph with the parameters rendered in the sandbox, off the event loop."""
    try:
        graph = await expression_threads.evaluate(params.bind, spec.graph, values, timeout_s=timeout_s)
    except ExpressionError as err:
        raise ApiError(422, "invalid_params", f"the parameters could not be bound: {err}",
                       [{"code": "params_error", "path": "$.params", "message": str(err)}]) from None
    return {**graph, "name": name or graph.get("name") or spec.name}


async def _spec_of(session: SessionDep, principal: Principal, body: TemplateCreate) -> dict[str, Any]:
    raw = body.model_dump(exclude={"workflow_id", "workflow_version"}, exclude_none=True)
    raw.setdefault("author", principal.user.username)
    if (body.graph is None) == (body.workflow_id is None):
        raise ApiError(422, "validation_error", "give `graph` or `workflow_id`, not both or neither",
                       [{"code": "graph_or_workflow", "path": "$.graph",
                         "message": "give `graph` or `workflow_id`, not both or neither"}])
    if body.workflow_id is not None:
        wf = await load_workflow(session, principal, body.workflow_id)
        version = await session.scalar(select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == wf.id,
            WorkflowVersion.version == (body.workflow_version or wf.latest_version)))
        if version is None:
            raise not_found("version")
        raw["graph"] = version.definition
    return raw


async def _checked(raw: Any, timeout_s: float) -> TemplateSpec:
    """Binding the example parameters evaluates expressions: in the pool, under the deadline."""
    spec, problems = checks.parse(raw)
    if spec is not None:
        spec, problems = await expression_threads.evaluate(checks.check, spec, timeout_s=timeout_s)
    if problems:
        raise ApiError(422, "invalid_template", f"the template has {len(problems)} problem(s)", problems)
    return spec


async def _load(session: SessionDep, principal: Principal, template_id: str) -> Template:
    row = await session.get(Template, template_id)
    if row is None or row.deleted_at is not None or not (row.public or owner_or_admin(principal, row.owner_id)):
        raise not_found("template")
    return row


async def _load_editable(session: SessionDep, principal: Principal, template_id: str) -> Template:
    """Its owner or an admin; a built-in: an admin only. Seen but not theirs: 403."""
    row = await _load(session, principal, template_id)
    if not owner_or_admin(principal, row.owner_id):
        raise ApiError(403, "not_template_owner",
                       "only an admin may change a built-in template" if row.owner_id is None
                       else "only the template's owner or an admin may change it")
    return row


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
