"""Loading a resource the caller may see: anything else is 404, never 403, so
ids of other users' resources leak nothing."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal
from api.errors import not_found
from core.db.models import Execution, Workflow


def visible(stmt: Select, model: type[Workflow] | type[Execution], principal: Principal) -> Select:
    return stmt if principal.is_admin else stmt.where(model.owner_id == principal.id)


async def load_workflow(session: AsyncSession, principal: Principal, workflow_id: str) -> Workflow:
    wf = await session.get(Workflow, workflow_id)
    if wf is None or wf.deleted_at is not None or not (principal.is_admin or wf.owner_id == principal.id):
        raise not_found("workflow")
    return wf


async def load_execution(session: AsyncSession, principal: Principal, execution_id: str) -> Execution:
    ex = await session.get(Execution, execution_id)
    if ex is None or not (principal.is_admin or ex.owner_id == principal.id):
        raise not_found("execution")
    return ex
