"""Definitions as the API handles them: validate, check privileges, compile with
saved sub-workflows resolved from PostgreSQL, draw as Mermaid."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.approvers import bind_plan
from api.deps import Principal
from api.access import owner_or_admin
from api.errors import ApiError
from core import expression_threads
from core.db.models import Workflow, WorkflowVersion
from outbound.policy import DestinationNotAllowed, Policy
from workflows import url_literals
from workflows.compiler import compile_definition
from workflows.dsl import WorkflowDefinition
from workflows.issues import sort_issues
from workflows.plan import Plan
from workflows.registry import REGISTRY
from workflows.validation import DefinitionInvalid, Issue, validate_definition

MAX_RESOLVE_ROUNDS = 16


def invalid(issues: list[Issue]) -> ApiError:
    return ApiError(422, "invalid_definition", f"the definition has {len(issues)} problem(s)",
                    [i.public() for i in sort_issues(issues)])


async def validate_or_raise(raw: Any, egress: Policy) -> WorkflowDefinition:
    # Parsing every expression of a large definition takes seconds: not on the event loop.
    definition, issues = await expression_threads.offload(validate_definition, raw, REGISTRY)
    issues = issues + destination_issues(raw, egress)
    if issues or definition is None:
        raise invalid(issues)
    return definition


def destination_issues(raw: Any, egress: Policy) -> list[Issue]:
    """URLs whose written-out host the egress policy refuses, found without
    DNS; the worker's guard still checks every request (and names after DNS)."""
    issues = []
    for found in url_literals.destinations(raw, REGISTRY):
        reason = egress.static_refusal(found.host, found.port)
        if reason is not None:
            field = found.path.rsplit(".", 1)[-1]
            refused = DestinationNotAllowed(found.host, found.port, reason)
            issues.append(Issue(code="destination_not_allowed", path=found.path,
                                message=f"`{field}`: {refused}; nodes may not call it (the egress "
                                        "policy, docs/operations.md)"))
    return issues


def node_types(raw: dict[str, Any]) -> set[str]:
    """Every node type used, inline sub-workflows included."""
    found: set[str] = set()
    for node in raw.get("nodes", []):
        found.add(node["type"])
        inline = (node.get("config") or {}).get("definition") if node["type"] == "sub_workflow" else None
        if isinstance(inline, dict):
            found |= node_types(inline)
    return found


def check_privileges(raw: dict[str, Any], principal: Principal) -> tuple[list[str], bool]:
    types = sorted(node_types(raw))
    privileged = [t for t in types if REGISTRY[t].privileged]
    if privileged and not principal.is_admin:
        raise ApiError(403, "privileged_node_type",
                       f"only an admin may save node type(s): {', '.join(privileged)}",
                       [{"node_types": privileged}])
    return types, bool(privileged)


async def compile_version(session: AsyncSession, principal: Principal, wf: Workflow,
                          version: WorkflowVersion, cap: int) -> Plan:
    """The compiler's resolver is synchronous, so saved sub-workflows are loaded
    in rounds: compile, fetch what it asked for, compile again."""
    cache: dict[tuple[str, int | None], dict[str, Any] | None] = {}
    for _ in range(MAX_RESOLVE_ROUNDS):
        missing: list[tuple[str, int | None]] = []

        def resolve(workflow_id: str, ver: int | None) -> dict[str, Any]:
            key = (workflow_id, ver)
            if key not in cache:
                missing.append(key)
                raise LookupError(f"workflow {workflow_id!r} is being loaded")
            if cache[key] is None:
                raise LookupError(f"no workflow {workflow_id!r}" + (f" version {ver}" if ver else ""))
            return cache[key]

        try:
            # Validates every expression again: not on the event loop either.
            plan = await expression_threads.offload(functools.partial(
                compile_definition, version.definition, REGISTRY, resolver=resolve, output_cap_bytes=cap,
                workflow_id=wf.id, version=version.version))
            return await bind_plan(session, plan, version.approver_ids or {})
        except DefinitionInvalid as err:
            if not missing:
                raise invalid(err.issues) from None
        for key in missing:
            cache[key] = await _load_definition(session, principal, *key)
    raise ApiError(422, "invalid_definition", "sub-workflow references nest too deep")


async def _load_definition(session: AsyncSession, principal: Principal, workflow_id: str,
                           version: int | None) -> dict[str, Any] | None:
    wf = await session.get(Workflow, workflow_id)
    if wf is None or wf.deleted_at is not None or not owner_or_admin(principal, wf.owner_id):
        return None
    row = await session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow_id,
        WorkflowVersion.version == (version or wf.latest_version)))
    return row.definition if row else None


def mermaid(raw: dict[str, Any]) -> str:
    """flowchart TD with one box per node (id, type) and edge conditions as labels."""
    lines = ["flowchart TD"]
    for node in raw.get("nodes", []):
        label = _escape(f"{node.get('name') or node['id']}<br/>{node['type']}")
        lines.append(f'    {node["id"]}["{label}"]')
    for edge in raw.get("edges", []):
        when = edge.get("when")
        arrow = f' -->|"{_escape(when)}"| ' if when else " --> "
        lines.append(f"    {edge['from']}{arrow}{edge['to']}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")
