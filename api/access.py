"""Who may see a resource, written once: its owner and admins. Anything else
is 404, never 403, so ids of other users' resources leak nothing."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Principal
from api.errors import not_found
from core.db.models import Execution, Workflow

Owned = TypeVar("Owned")  # a model with an `owner_id` column


def owner_or_admin(principal: Principal, owner_id: str | None) -> bool:
    """The rule: the caller owns it, or is an admin (who acts on everyone's)."""
    return principal.is_admin or owner_id == principal.id


def visible(stmt: Select, model: Any, principal: Principal) -> Select:
    """`stmt` narrowed to the rows `owner_or_admin` lets the caller see."""
    return stmt if principal.is_admin else stmt.where(model.owner_id == principal.id)


async def load_owned(session: AsyncSession, principal: Principal, model: type[Owned], resource_id: str,
                     what: str) -> Owned:
    """The row, when it exists, is not deleted and the caller may see it; else 404 `what`."""
    row = await session.get(model, resource_id)
    if row is None or getattr(row, "deleted_at", None) is not None or not owner_or_admin(principal, row.owner_id):
        raise not_found(what)
    return row


async def load_workflow(session: AsyncSession, principal: Principal, workflow_id: str) -> Workflow:
    return await load_owned(session, principal, Workflow, workflow_id, "workflow")


async def load_execution(session: AsyncSession, principal: Principal, execution_id: str) -> Execution:
    return await load_owned(session, principal, Execution, execution_id, "execution")
