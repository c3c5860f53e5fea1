"""/api/v1/secrets: the credentials store. Write-only: no response ever holds
a value. A secret's owner (or an admin) changes or deletes it; the users it is
shared with (`role:<name>`) see its metadata and may use it; anyone else gets 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from api.deps import DeleteUser, Principal, ReadUser, SessionDep, StateDep, WriteUser
from api.access import owner_or_admin
from api.errors import ApiError, not_found
from api.schemas.common import Page, ResourceId
from api.schemas.secrets import SecretCreate, SecretPublic, SecretUpdate
from core.db.base import new_id
from core.db.models import Secret
from credentials.access import Actor
from credentials.keys import keyring
from credentials.names import SECRET_NAME_PATTERN
from credentials.store import set_value

router = APIRouter(prefix="/api/v1/secrets", tags=["secrets"])


def _visible(principal: Principal):
    """Owned, or shared with one of the caller's roles; admins see every secret."""
    if principal.is_admin:
        return None
    shares = Actor.of(principal.user).shares
    mine = Secret.owner_id == principal.id
    return or_(mine, Secret.shared_with.overlap(shares)) if shares else mine


async def _load(session, principal: Principal, secret_id: str) -> Secret:
    stmt = select(Secret).where(Secret.id == secret_id)
    if (where := _visible(principal)) is not None:
        stmt = stmt.where(where)
    row = await session.scalar(stmt)
    if row is None:
        raise not_found("secret")
    return row


async def _load_to_change(session, principal: Principal, secret_id: str) -> Secret:
    row = await _load(session, principal, secret_id)
    if not owner_or_admin(principal, row.owner_id):  # sharing lets others see it, not change it
        raise ApiError(403, "not_owner", "only the secret's owner or an admin may change it")
    return row


def _check_shares(principal: Principal, shares: list[str], already: list[str] = ()) -> None:
    """An owner adds shares only with roles they hold (an admin with any role),
    so nobody can slip a same-named secret into another team's name resolution."""
    if principal.is_admin:
        return
    held = set(Actor.of(principal.user).shares)
    details = [{"code": "share_not_allowed", "path": f"$.body.shared_with[{i}]",
                "message": f"you do not hold {share}: share only with your own roles"}
               for i, share in enumerate(shares) if share not in held and share not in already]
    if details:
        raise ApiError(422, "validation_error", "the request is invalid", details)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SecretPublic,
             responses={409: {"description": "you already have a secret by that name"},
                        422: {"description": "invalid name, value, shares or hosts"}})
async def create_secret(body: SecretCreate, principal: WriteUser, session: SessionDep, state: StateDep,
                        request: Request) -> Secret:
    _check_shares(principal, body.shared_with)
    row = Secret(id=new_id(), owner_id=principal.id, name=body.name, description=body.description,
                 shared_with=body.shared_with, allowed_hosts=body.allowed_hosts)
    set_value(row, body.value.get_secret_value(), keyring(state.settings))
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise ApiError(409, "secret_exists", f"you already have a secret named {body.name}") from None
    request.scope["agentic.resource"] = ("secrets", row.id)
    return row


@router.get("", response_model=Page[SecretPublic])
async def list_secrets(
    principal: ReadUser, session: SessionDep,
    name: Annotated[str | None, Query(pattern=SECRET_NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    """The caller's secrets and those shared with them (every secret, for an admin)."""
    stmt = select(Secret)
    if (where := _visible(principal)) is not None:
        stmt = stmt.where(where)
    if name:
        stmt = stmt.where(Secret.name == name)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(Secret.name, Secret.id).limit(limit).offset(offset))).all()
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get("/{secret_id}", response_model=SecretPublic)
async def get_secret(secret_id: ResourceId, principal: ReadUser, session: SessionDep) -> Secret:
    return await _load(session, principal, secret_id)


@router.patch("/{secret_id}", response_model=SecretPublic,
              responses={403: {"description": "shared with you, but not yours to change"}})
async def update_secret(secret_id: ResourceId, body: SecretUpdate, principal: WriteUser, session: SessionDep,
                        state: StateDep) -> Secret:
    row = await _load_to_change(session, principal, secret_id)
    if body.shared_with is not None:
        _check_shares(principal, body.shared_with, already=row.shared_with)
        row.shared_with = body.shared_with
    if body.allowed_hosts is not None:
        row.allowed_hosts = body.allowed_hosts
    if body.description is not None:
        row.description = body.description
    if body.value is not None:
        set_value(row, body.value.get_secret_value(), keyring(state.settings))
    row.updated_at = datetime.now(UTC)
    await session.commit()
    return row


@router.delete("/{secret_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={403: {"description": "shared with you, but not yours to delete"}})
async def delete_secret(secret_id: ResourceId, principal: DeleteUser, session: SessionDep) -> Response:
    """Runs that reference it fail from now on (or use another secret the name
    then resolves to: see docs/user-guide.md)."""
    row = await _load_to_change(session, principal, secret_id)
    await session.delete(row)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
