"""Rerun from a node: a new execution reusing the recorded results upstream of
the node, on the original or the latest definition; and the lineage both ways."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from api import starts
from api.access import load_execution, load_workflow, owner_or_admin
from api.deps import ExecuteUser, ReadUser, SessionDep, StateDep
from api.errors import ApiError
from api.reruns import reuse_for
from api.schemas.common import ResourceId
from api.schemas.reruns import Lineage, RerunAccepted, RerunCreate
from core.db.models import TERMINAL_EXECUTION_STATUSES, Execution

router = APIRouter(tags=["executions"])


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
    inputs = {**(source.inputs or {}), **body.input_overrides}
    prepared = await starts.prepare(session, principal, wf, number, inputs, state.settings)
    reuse = reuse_for(prepared.plan, body.from_node, source.nodes or {}, inputs)
    if unknown := set(body.breakpoints) - {n.id for n in prepared.plan.nodes}:
        raise ApiError(422, "unknown_node", f"breakpoints name unknown nodes: {sorted(unknown)}")
    options = {"reuse": reuse, "rerun": {"from_node": body.from_node, "definition": body.definition,
                                         "version": number, "source_version": source.version,
                                         "input_overrides": body.input_overrides, "reused_nodes": list(reuse)}}
    if body.breakpoints:
        options["debug"] = {"breakpoints": body.breakpoints}
    row = starts.new_row(prepared, principal, trigger="rerun", source_execution_id=source.id,
                         options=options)
    await starts.accept(session, state, request, row)
    return RerunAccepted.from_row(row, state.settings, source_execution_id=source.id, from_node=body.from_node,
                                  definition=body.definition, reused_nodes=list(reuse))


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
