"""Creating a workflow (version 1): the one path a POST /workflows and a
template deploy take, so both check the same things (definition, privileges,
secrets, approvers). Flushes only: the caller commits, so a later refusal in
the same request leaves nothing behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api import secret_access
from api.approvers import resolve_definition
from api.definitions import check_privileges, validate_or_raise
from api.deps import Principal
from api.state import AppState
from core.db.models import Workflow, WorkflowVersion


async def create(session: AsyncSession, state: AppState, principal: Principal, definition: dict[str, Any], *,
                 template_id: str | None = None, template_version: int | None = None) -> Workflow:
    parsed = await validate_or_raise(definition, state.egress)
    types, privileged = check_privileges(definition, principal)
    await secret_access.check_definition(session, principal.user, definition, state.settings)
    approver_ids = await resolve_definition(session, definition)
    wf = Workflow(owner_id=principal.id, name=parsed.name, description=parsed.description,
                  tags=parsed.tags, latest_version=1, template_id=template_id, template_version=template_version)
    session.add(wf)
    await session.flush()
    session.add(version_row(wf, 1, definition, parsed.inputs, types, privileged, principal, approver_ids))
    await session.flush()
    return wf


def version_row(wf: Workflow, number: int, definition: dict, inputs: dict | None, types: list[str],
                privileged: bool, principal: Principal, approver_ids: dict[str, str]) -> WorkflowVersion:
    return WorkflowVersion(workflow_id=wf.id, version=number, definition=definition, inputs_schema=inputs,
                           node_types=types, privileged=privileged, created_by=principal.id,
                           approver_ids=approver_ids)
