"""Rerun from a node: a new execution reusing the recorded results upstream of
the node, on the original or the latest definition; and the lineage both ways."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from api import runs, secret_access
from api.access import load_execution, load_workflow, owner_or_admin
from api.definitions import compile_version
from api.deps import ExecuteUser, ReadUser, SessionDep, StateDep
from api.errors import ApiError, not_found
from api.reruns import reuse_for
from api.schemas import ExecutionAccepted, ResourceId, Strict
from core.db.base import new_id
from core.db.models import TERMINAL_EXECUTION_STATUSES, Execution, WorkflowVersion
from core.temporal import temporal_workflow_id, ui_link
from workflows.validation import validate_run_inputs

router = APIRouter(tags=["executions"])


class RerunCreate(Strict):
    from_node: str = Field(min_length=1, max_length=64)
    definition: Literal["original", "latest"] = Field(
        description="the source's workflow version, or the workflow's latest version")
    input_overrides: dict[str, Any] = Field(default_factory=dict, description="merged over the source's inputs")
    breakpoints: list[str] = Field(default_factory=list, max_length=100,
                                   description="live breakpoints for the new run")


class RerunAccepted(ExecutionAccepted):
    source_execution_id: str
    from_node: str
    definition: Literal["original", "latest"]
    reused_nodes: list[str]


class Lineage(BaseModel):
    id: str
    source_execution_id: str | None
    rerun: dict[str, Any] | None
    reruns: list[dict[str, Any]]


@router.post("/api/v1/executions/{execution_id}/rerun", status_code=status.HTTP_202_ACCEPTED,
             response_model=RerunAccepted,
             responses={409: {"description": "the source has not finished, or an upstream node cannot be reused"}})
async def rerun(execution_id: ResourceId, body: RerunCreate, principal: ExecuteUser, session: SessionDep,
                state: StateDep, request: Request) -> RerunAccepted:
    source = await load_execution(session, principal, execution_id)
    if source.status not in TERMINAL_EXECUTION_STATUSES:
        raise ApiError(409, "not_finished", f"the source execution is {source.status}")
    if not source.workflow_id or source.version is None:
        raise ApiError(409, "no_definition", "the source execution was not started from a saved workflow")
    wf = await load_workflow(session, principal, source.workflow_id)
    number = source.version if body.definition == "original" else wf.latest_version
    version = await session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == wf.id, WorkflowVersion.version == number))
    if version is None:
        raise not_found("version")
    inputs = {**(source.inputs or {}), **body.input_overrides}
    if issues := validate_run_inputs(version.inputs_schema, inputs):
        raise ApiError(422, "invalid_inputs", f"the inputs have {len(issues)} problem(s)",
                       [i.model_dump() for i in issues])
    plan = await compile_version(session, principal, wf, version, state.settings.node_output_cap_bytes)
    await secret_access.check_plan(session, principal.user, plan, state.settings)
    reuse = reuse_for(plan, body.from_node, source.nodes or {}, inputs)
    if unknown := set(body.breakpoints) - {n.id for n in plan.nodes}:
        raise ApiError(422, "unknown_node", f"breakpoints name unknown nodes: {sorted(unknown)}")
    eid = new_id()
    options = {"reuse": reuse, "rerun": {"from_node": body.from_node, "definition": body.definition,
                                         "version": number, "source_version": source.version,
                                         "input_overrides": body.input_overrides, "reused_nodes": list(reuse)}}
    if body.breakpoints:
        options["debug"] = {"breakpoints": body.breakpoints}
    row = Execution(id=eid, workflow_id=wf.id, version=number, owner_id=principal.id, status="pending",
                    inputs=inputs, plan=plan.model_dump(mode="json"), temporal_workflow_id=temporal_workflow_id(eid),
                    source_execution_id=source.id, options=options, started_by=principal.user.username)
    session.add(row)
    await session.commit()  # first the row, then Temporal (see api/runs.py)
    request.scope["agentic.resource"] = ("executions", eid)
    await runs.start_after_commit(session, state, row)
    return RerunAccepted(
        id=row.id, workflow_id=row.workflow_id or "", version=row.version or 0, status=row.status,
        temporal_workflow_id=row.temporal_workflow_id, temporal_run_id=row.temporal_run_id,
        ui_url=ui_link(state.settings, row.temporal_workflow_id, row.temporal_run_id),
        source_execution_id=source.id, from_node=body.from_node, definition=body.definition,
        reused_nodes=list(reuse))


@router.get("/api/v1/executions/{execution_id}/lineage", response_model=Lineage)
async def lineage(execution_id: ResourceId, principal: ReadUser, session: SessionDep) -> Lineage:
    """Where this execution came from (a rerun's source and choices) and the
    reruns made from it."""
    row = await load_execution(session, principal, execution_id)
    children = (await session.scalars(select(Execution).where(Execution.source_execution_id == row.id)
                                      .order_by(Execution.created_at))).all()
    visible = [c for c in children if owner_or_admin(principal, c.owner_id)]
    return Lineage(id=row.id, source_execution_id=row.source_execution_id, rerun=(row.options or {}).get("rerun"),
                   reruns=[{"id": c.id, "status": c.status, **((c.options or {}).get("rerun") or {})}
                           for c in visible])
