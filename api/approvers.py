"""Approver entries bound to accounts, so a name cannot be claimed later.

An approval names its approvers as `alice`, `user:alice`, `role:<role>` or
`scope:<scope>`. When a version is saved (or a gate requested) every named
user must exist (case does not matter) and every role must be held by
someone; the names are resolved to user ids and kept with the version
(`workflow_versions.approver_ids`). The plan a run gets names users as
`id:<user id>`, which only that account's principals carry, so registering
a name a gate waits for gives nothing. Answers show `user:<name>` again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from api.security import SCOPES
from core.db.models import User
from workflows.issues import Issue, did_you_mean, hint, shown, sort_issues
from workflows.plan import Plan

ID_PREFIX = "id:"
ENTRY_FIELDS = ("approvers", "escalate_to")


def _approval_configs(definition: dict[str, Any], path: str = "$") -> Iterator[tuple[str, dict]]:
    for index, node in enumerate(definition.get("nodes") or []):
        if not isinstance(node, dict) or not isinstance(node.get("config"), dict):
            continue
        here = f"{path}.nodes[{index}].config"
        if node.get("type") == "approval":
            yield here, node["config"]
        inline = node["config"].get("definition") if node.get("type") == "sub_workflow" else None
        if isinstance(inline, dict):
            yield from _approval_configs(inline, f"{here}.definition")


def _entries(config: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    for field in ENTRY_FIELDS:
        for index, entry in enumerate(config.get(field) or []):
            yield f"{path}.{field}[{index}]", entry
    for step_index, step in enumerate(config.get("escalation") or []):
        for index, entry in enumerate(step.get("add_approvers") or []):
            yield f"{path}.escalation[{step_index}].add_approvers[{index}]", entry


def _user_name(entry: str) -> str | None:
    """The username an entry names, or None for roles, scopes and bound ids."""
    if entry.startswith("user:"):
        return entry[len("user:"):]
    return None if ":" in entry else entry


async def resolve(session: AsyncSession, configs: list[tuple[str, dict]]) -> dict[str, str]:
    """{lower-case username: user id} for every user the configs name; 422
    with the path of every entry that names nobody."""
    found = [(path, entry) for where, config in configs for path, entry in _entries(config, where)]
    names = {n.lower() for _, e in found if (n := _user_name(e))}
    roles = {e[len("role:"):] for _, e in found if e.startswith("role:")} - {"admin"}
    ids = dict((await session.execute(select(func.lower(User.username), User.id).where(
        func.lower(User.username).in_(names), User.disabled.is_(False)))).all()) if names else {}
    held = set((await session.scalars(select(func.unnest(User.roles)).where(
        User.roles.overlap(cast(pg_array(sorted(roles)), ARRAY(Text)))))).all()) if roles else set()
    problems = [problem for path, entry in found if (problem := _problem(path, entry, ids, held)) is not None]
    if problems:
        raise ApiError(422, "unknown_approver", f"{len(problems)} approver(s) name nobody",
                       [p.public() for p in sort_issues(problems)])
    return ids


def _problem(path: str, entry: str, ids: dict[str, str], held: set[str]) -> Issue | None:
    """Why an entry names nobody (None: it names someone). Only scopes get a
    did-you-mean: suggesting user or role names would tell who exists."""
    name = _user_name(entry)
    if name is not None and name.lower() not in ids:
        return Issue(code="unknown_approver", path=path, message=f"no user {shown(name)}")
    if entry.startswith("role:") and entry[5:] != "admin" and entry[5:] not in held:
        return Issue(code="unknown_approver", path=path, message=f"nobody holds role {shown(entry[5:])}")
    if entry.startswith("scope:") and entry[6:] not in SCOPES:
        suggestion = did_you_mean(entry[6:], SCOPES)
        return Issue(code="unknown_approver", path=path, message=f"no scope {shown(entry[6:])}{hint(suggestion)}",
                     suggestion=f"scope:{suggestion}" if suggestion else None)
    if entry.startswith(ID_PREFIX):
        return Issue(code="unknown_approver", path=path, message="name users (`alice` or `user:alice`), not ids")
    return None


async def resolve_definition(session: AsyncSession, definition: dict[str, Any]) -> dict[str, str]:
    return await resolve(session, list(_approval_configs(definition)))


def bind_config(config: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The config with every named user replaced by `id:<user id>`."""
    def bound(entry: str) -> str:
        name = _user_name(entry)
        return f"{ID_PREFIX}{ids[name.lower()]}" if name is not None else entry

    out = {**config, **{f: [bound(e) for e in config.get(f) or []] for f in ENTRY_FIELDS if f in config}}
    if config.get("escalation"):
        out["escalation"] = [{**step, "add_approvers": [bound(e) for e in step.get("add_approvers") or []]}
                             for step in config["escalation"]]
    return out


async def bind_plan(session: AsyncSession, plan: Plan, saved: dict[str, str]) -> Plan:
    """Binds every approval of the plan (sub-plans too) to user ids: the ids
    saved with the version, and a lookup for versions saved before there were
    any (or sub-workflows saved separately)."""
    nodes = list(_plan_approvals(plan))
    ids = dict(saved)
    missing = [(f"$.plan.{n.id}", n.config) for n in nodes
               if any((name := _user_name(e)) and name.lower() not in ids for _, e in _entries(n.config, ""))]
    if missing:
        ids.update(await resolve(session, missing))
    for node in nodes:
        node.config = bind_config(node.config, ids)
    return plan


def _plan_approvals(plan: Plan):
    for node in plan.nodes:
        if node.type == "approval":
            yield node
        if node.child is not None:
            yield from _plan_approvals(node.child)


async def display_names(session: AsyncSession, entries: list[str]) -> dict[str, str]:
    """{"id:<user id>": "user:<name>"} for the bound entries among `entries`."""
    ids = {e[len(ID_PREFIX):] for e in entries if e.startswith(ID_PREFIX)}
    if not ids:
        return {}
    rows = (await session.execute(select(User.id, User.username).where(User.id.in_(ids)))).all()
    return {f"{ID_PREFIX}{uid}": f"user:{name}" for uid, name in rows}
