"""/api/v1/auth: register, token (OAuth2 password flow), logout, me, and (admin) a user's
roles and the revocation of a user's tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.deps import AdminUser, AnyUser, SessionDep, StateDep
from api.errors import ApiError, not_found
from api.schemas import Me, ResourceId, RolesUpdate, Token, UserCreate, UserPublic
from api.security import allowed_scopes, hash_password, verify_password
from core.db.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic,
             responses={409: {"description": "username taken"}})
async def register(body: UserCreate, session: SessionDep, request: Request) -> User:
    user = User(username=body.username, password_hash=hash_password(body.password), is_admin=False)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        raise ApiError(409, "username_taken", "that username is taken") from None
    request.scope["agentic.resource"] = ("users", user.id)
    return user


@router.post("/token", response_model=Token, responses={401: {"description": "bad credentials"}})
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
                state: StateDep, request: Request) -> Token:
    user = await session.scalar(select(User).where(User.username == form.username))
    if not verify_password(form.password, user.password_hash if user else None) or user is None or user.disabled:
        raise ApiError(401, "invalid_credentials", "wrong username or password",
                       headers={"WWW-Authenticate": "Bearer"})
    request.scope["agentic.actor"] = (user.id, user.username)
    allowed = allowed_scopes(user.is_admin)
    # No scopes asked for: everything the account may have. Asking for more is an error.
    wanted = form.scopes or allowed
    refused = [s for s in wanted if s not in allowed]
    if refused:
        raise ApiError(403, "insufficient_scope", f"scope(s) not allowed: {', '.join(refused)}")
    scopes = sorted(set(wanted))
    return Token(access_token=state.tokens.issue(user.id, scopes, user.token_version),
                 expires_in=state.tokens.expiry_s, scope=" ".join(scopes))


async def _revoke_tokens(session: SessionDep, user_id: str) -> bool:
    """Every token issued so far carries the old version and is refused from now on."""
    bumped = await session.execute(
        update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
    await session.commit()
    return bumped.rowcount == 1


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: AnyUser, session: SessionDep) -> None:
    """Revokes every token of the caller (all devices), this one included."""
    await _revoke_tokens(session, principal.id)


@router.post("/users/{user_id}/revoke-tokens", status_code=status.HTTP_204_NO_CONTENT,
             responses={404: {"description": "unknown user"}})
async def revoke_tokens(user_id: ResourceId, principal: AdminUser, session: SessionDep,
                        request: Request) -> None:
    """Revokes every token of a user (admin only); the user may log in again."""
    request.scope["agentic.resource"] = ("users", user_id)
    if not await _revoke_tokens(session, user_id):
        raise not_found("user")


@router.get("/me", response_model=Me)
async def me(principal: AnyUser) -> Me:
    return Me(id=principal.user.id, username=principal.user.username, is_admin=principal.user.is_admin,
              roles=list(principal.user.roles or []), created_at=principal.user.created_at,
              scopes=sorted(principal.scopes))


@router.put("/users/{user_id}/roles", response_model=UserPublic,
            responses={404: {"description": "unknown user"},
                       422: {"description": "an invalid or reserved role name, or more than 20 roles"}})
async def set_roles(user_id: ResourceId, body: RolesUpdate, principal: AdminUser, session: SessionDep,
                    request: Request) -> User:
    """Replaces a user's roles (admin only). Approvers `role:<name>` match the users holding
    that role from their next request on (`admin` is the account flag, not a role)."""
    request.scope["agentic.resource"] = ("users", user_id)
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user")
    user.roles = body.roles
    await session.commit()
    await session.refresh(user)
    return user
