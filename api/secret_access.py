"""The API's secret checks: the saver of a version and the starter of a run
must be able to use every secret it references (credentials/access.py says
which secret a name means). The worker checks again when each node runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from core.db.models import User
from core.settings import Settings
from credentials.access import Actor
from credentials.store import resolve_names
from workflows.plan import Plan
from workflows.secret_refs import plan_references, references


async def require(session: AsyncSession, user: User | None, refs: dict[str, list[str]],
                  settings: Settings) -> None:
    """422 `secret_not_accessible` naming every secret the user may not use,
    with the JSON path of each reference."""
    if not refs:
        return
    if user is None or user.disabled:
        refused = {name: "the owner no longer exists or is disabled" for name in refs}
    else:
        _, problems = await resolve_names(session, Actor.of(user), refs, settings.env_secret_grants)
        refused = {name: err.message for name, err in problems.items()}
    if refused:
        names = sorted(refused)
        raise ApiError(422, "secret_not_accessible",
                       f"the workflow references secret(s) you may not use: {', '.join(names)}",
                       [{"code": "secret_not_accessible", "path": path, "message": refused[name]}
                        for name in names for path in refs[name]])


async def check_definition(session: AsyncSession, user: User, definition: dict[str, Any],
                           settings: Settings) -> None:
    await require(session, user, references(definition), settings)


async def check_plan(session: AsyncSession, user: User | None, plan: Plan, settings: Settings) -> None:
    await require(session, user, plan_references(plan), settings)
