"""Admin: list users, disable and enable an account. Disabling ends the
account's sessions at once (its token version is bumped, its refresh tokens
revoked); its API keys are refused while it is disabled (api/api_keys.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select, update

from api import refresh_tokens
from api.deps import AdminUser, SessionDep
from api.errors import ApiError, not_found
from api.schemas.auth import UserPublic
from api.schemas.common import Page, ResourceId
from core.db.models import User

router = APIRouter(prefix="/api/v1/auth/users", tags=["auth"])


@router.get("", response_model=Page[UserPublic])
async def list_users(principal: AdminUser, session: SessionDep,
                     disabled: bool | None = None,
                     username: Annotated[str | None, Query(min_length=1, max_length=64,
                                                           description="a prefix, any case")] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict:
    query = select(User)
    if disabled is not None:
        query = query.where(User.disabled == disabled)
    if username:
        escaped = username.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(User.username).like(escaped + "%", escape="\\"))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(User.created_at, User.id).limit(limit).offset(offset))
    return {"items": [UserPublic.of(u) for u in rows], "total": total or 0, "limit": limit, "offset": offset}


@router.post("/{user_id}/disable", response_model=UserPublic,
             responses={404: {"description": "unknown user"}, 409: {"description": "the caller's own account"}})
async def disable_user(user_id: ResourceId, principal: AdminUser, session: SessionDep, request: Request) -> UserPublic:
    """The account can no longer log in or use any token or API key; its runs and
    schedules are left as they are."""
    request.scope["agentic.resource"] = ("users", user_id)
    if user_id == principal.id:
        raise ApiError(409, "cannot_disable_self", "an admin cannot disable their own account")
    user = await _set_disabled(session, user_id, True)
    await refresh_tokens.revoke_all(session, user_id)
    await session.commit()
    return UserPublic.of(user)


@router.post("/{user_id}/enable", response_model=UserPublic, responses={404: {"description": "unknown user"}})
async def enable_user(user_id: ResourceId, principal: AdminUser, session: SessionDep, request: Request) -> UserPublic:
    """The account may log in again; tokens issued before it was disabled stay revoked."""
    request.scope["agentic.resource"] = ("users", user_id)
    user = await _set_disabled(session, user_id, False)
    await session.commit()
    return UserPublic.of(user)


async def _set_disabled(session, user_id: str, disabled: bool) -> User:
    values = {"disabled": disabled}
    if disabled:
        values["token_version"] = User.token_version + 1  # every access token issued so far is refused
    done = await session.execute(update(User).where(User.id == user_id).values(**values).returning(User.id))
    if done.scalar_one_or_none() is None:
        raise not_found("user")
    user = await session.get(User, user_id, populate_existing=True)
    return user
