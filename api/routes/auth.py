"""/api/v1/auth: register, token (OAuth2 password flow), refresh, logout, password, me, and
(admin) a user's roles and the revocation of a user's tokens. API keys: routes/api_keys.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import api_keys, refresh_tokens
from api.deps import AdminUser, AnyUser, SessionDep, SessionUser, StateDep
from api.errors import ApiError, not_found
from api.refresh_tokens import RefreshPolicy, RefreshRefused
from api.schemas.auth import Me, PasswordChange, RefreshRequest, RolesUpdate, Token, UserCreate, UserPublic
from api.schemas.common import ResourceId
from api.security import allowed_scopes, hash_password, verify_password
from api.state import AppState
from api.throttle import client_address, rate_limited
from core.db.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic,
             responses={409: {"description": "username taken (in any case)"},
                        429: {"description": "too many registrations from this address"}})
async def register(body: UserCreate, session: SessionDep, state: StateDep, request: Request) -> User:
    """Usernames are stored in lower case and unique regardless of case. A taken name
    answers 409: registration is rate-limited per client address, which bounds how
    fast names can be probed (see docs/api.md)."""
    if (wait := state.throttle.registrations.hit(client_address(request))) is not None:
        raise rate_limited("too many registrations from this address", wait)
    user = User(username=body.username.lower(), password_hash=hash_password(body.password), is_admin=False)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        raise ApiError(409, "username_taken", "that username is taken") from None
    request.scope["agentic.resource"] = ("users", user.id)
    return user


@router.post("/token", response_model=Token,
             responses={401: {"description": "bad credentials"},
                        429: {"description": "too many failed logins (this address or this username)"}})
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
                state: StateDep, request: Request) -> Token:
    """Unknown users cost the same as real ones (a dummy hash is verified) and are
    locked the same way, so neither the timing nor a 429 tells which names exist."""
    throttle, address = state.throttle, client_address(request)
    if (wait := throttle.login_failures.wait_s(address)) is not None:
        raise rate_limited("too many failed logins from this address", wait)
    name = form.username.lower()
    user = await session.scalar(select(User).where(func.lower(User.username) == name))
    if (wait := throttle.locks.wait_s(user, name)) is not None:
        raise rate_limited("too many failed logins for this username", wait)
    if not verify_password(form.password, user.password_hash if user else None) or user is None or user.disabled:
        throttle.login_failures.record(address)
        await throttle.locks.failed(session, name)
        raise ApiError(401, "invalid_credentials", "wrong username or password",
                       headers={"WWW-Authenticate": "Bearer"})
    await throttle.locks.succeeded(session, user)
    request.scope["agentic.actor"] = (user.id, user.username)
    allowed = allowed_scopes(user.is_admin)
    # No scopes asked for: everything the account may have. Asking for more is an error.
    wanted = form.scopes or allowed
    refused = [s for s in wanted if s not in allowed]
    if refused:
        raise ApiError(403, "insufficient_scope", f"scope(s) not allowed: {', '.join(refused)}")
    scopes = sorted(set(wanted))
    chain = await refresh_tokens.start_family(session, user, scopes, RefreshPolicy.from_settings(state.settings))
    await session.commit()
    return _token_pair(state, user, scopes, chain)


def _token_pair(state: AppState, user: User, scopes: list[str], refresh: refresh_tokens.Issued) -> Token:
    return Token(access_token=state.tokens.issue(user.id, scopes, user.token_version),
                 expires_in=state.tokens.expiry_s, scope=" ".join(scopes),
                 refresh_token=refresh.token, refresh_expires_in=refresh.expires_in)


@router.post("/refresh", response_model=Token,
             responses={401: {"description": "unknown, expired, used or revoked refresh token"}})
async def refresh(body: RefreshRequest, session: SessionDep, state: StateDep, request: Request) -> Token:
    """A new access token and a new refresh token for a refresh token, which is used up.
    Presenting a used refresh token again revokes every token descended from its login."""
    try:
        user, scopes, issued = await refresh_tokens.rotate(session, body.refresh_token,
                                                           RefreshPolicy.from_settings(state.settings))
    except RefreshRefused:
        raise ApiError(401, "invalid_refresh_token", "invalid, expired, used or revoked refresh token") from None
    request.scope["agentic.actor"] = (user.id, user.username)
    return _token_pair(state, user, scopes, issued)


async def _revoke_tokens(session: AsyncSession, user_id: str, *, api_keys_too: bool = False) -> bool:
    """Every access token issued so far carries the old version and is refused from
    now on; every refresh token (and, when asked, every API key) is revoked."""
    bumped = await session.execute(
        update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
    await refresh_tokens.revoke_all(session, user_id)
    if api_keys_too:
        await api_keys.revoke_all(session, user_id)
    await session.commit()
    return bumped.rowcount == 1


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             responses={403: {"description": "called with an API key (`login_required`)"}})
async def logout(principal: SessionUser, session: SessionDep) -> None:
    """Revokes every access and refresh token of the caller (all devices), this one
    included. The caller's API keys keep working (machines are not logged out)."""
    await _revoke_tokens(session, principal.id)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT,
             responses={403: {"description": "wrong current password, or called with an API key"},
                        429: {"description": "too many failed attempts for this account"}})
async def change_password(body: PasswordChange, principal: SessionUser, session: SessionDep,
                          state: StateDep) -> None:
    """Changes the caller's password and ends every session (access and refresh tokens,
    this one included); API keys keep working. Failures count towards the account's
    login lock, so a stolen access token cannot be used to guess the password."""
    user, locks = principal.user, state.throttle.locks
    if (wait := locks.wait_s(user, user.username)) is not None:
        raise rate_limited("too many failed logins for this username", wait)
    if not verify_password(body.current_password, user.password_hash):
        await locks.failed(session, user.username)
        raise ApiError(403, "wrong_password", "the current password is wrong")
    user.password_hash = hash_password(body.new_password)
    user.failed_logins, user.locked_until = 0, None
    await _revoke_tokens(session, user.id)


@router.post("/users/{user_id}/revoke-tokens", status_code=status.HTTP_204_NO_CONTENT,
             responses={404: {"description": "unknown user"}})
async def revoke_tokens(user_id: ResourceId, principal: AdminUser, session: SessionDep,
                        request: Request) -> None:
    """Revokes every access token, refresh token and API key of a user (admin only):
    the button for a compromised account. The user may log in again."""
    request.scope["agentic.resource"] = ("users", user_id)
    if not await _revoke_tokens(session, user_id, api_keys_too=True):
        raise not_found("user")


@router.get("/me", response_model=Me)
async def me(principal: AnyUser) -> Me:
    return Me.of(principal.user, roles=list(principal.user.roles or []), scopes=sorted(principal.scopes))


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
