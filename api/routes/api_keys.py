"""/api/v1/auth/api-keys: a user's API keys (api/api_keys.py). The key itself is in
the answer to its creation only; listings show its prefix. Another user's key
answers 404 (an admin sees and revokes every key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import func, or_, select

from api import api_keys
from api.deps import AnyUser, Principal, SessionDep, SessionUser
from api.errors import ApiError, not_found
from api.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from api.schemas.common import Page, ResourceId
from core.db.base import utcnow
from core.db.models import ApiKey

router = APIRouter(prefix="/api/v1/auth/api-keys", tags=["auth"])
# Live (unrevoked, unexpired) keys a user may hold: bounds the rows one account makes.
MAX_LIVE_KEYS = 50


def _visible(principal: Principal):
    return None if principal.is_admin else ApiKey.user_id == principal.id


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
             responses={403: {"description": "a scope the caller's token lacks, or called with an API key"},
                        409: {"description": f"already {MAX_LIVE_KEYS} live keys"}})
async def create_api_key(body: ApiKeyCreate, principal: SessionUser, session: SessionDep,
                         request: Request) -> ApiKeyCreated:
    """A key with at most the caller's scopes. The answer holds the key: it is shown
    this once and never stored (only its SHA-256)."""
    refused = [s for s in body.scopes if s not in principal.scopes]
    if refused:
        raise ApiError(403, "insufficient_scope", f"the token lacks scope(s): {', '.join(refused)}",
                       details=[{"refused": refused}])
    now = utcnow()
    live = await session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == principal.id, ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)))
    if live >= MAX_LIVE_KEYS:
        raise ApiError(409, "too_many_api_keys", f"at most {MAX_LIVE_KEYS} live keys: revoke one first")
    expires_at = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    key, row = api_keys.new_key(principal.id, body.name, body.scopes, expires_at)
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("api_keys", row.id)
    return ApiKeyCreated.of(row, key=key)


@router.get("", response_model=Page[ApiKeyPublic])
async def list_api_keys(
    principal: AnyUser, session: SessionDep,
    user_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                         description="only this user's keys (useful to an admin)")] = None,
    include_revoked: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    """The caller's keys, newest first (an admin: every user's). Never the keys themselves."""
    stmt = select(ApiKey)
    if (where := _visible(principal)) is not None:
        stmt = stmt.where(where)
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(ApiKey.created_at.desc(), ApiKey.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"description": "unknown key, or another user's"}})
async def revoke_api_key(key_id: ResourceId, principal: AnyUser, session: SessionDep) -> None:
    """Revokes the key from the next request on (it stays listed with `include_revoked`).
    Revoking a revoked key changes nothing."""
    stmt = select(ApiKey).where(ApiKey.id == key_id)
    if (where := _visible(principal)) is not None:
        stmt = stmt.where(where)
    row = await session.scalar(stmt.with_for_update())
    if row is None:
        raise not_found("API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.commit()
