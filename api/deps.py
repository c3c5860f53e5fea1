"""Dependencies as Annotated aliases: a handler's signature says what it needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from sqlalchemy.ext.asyncio import AsyncSession

from api import api_keys
from api.errors import ApiError
from api.security import SCOPES, InvalidToken, TokenCodec, allowed_scopes
from api.state import AppState
from core import logs
from core.db.models import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", scopes=SCOPES, auto_error=False)


def app_state(request: Request) -> AppState:
    return request.app.state.agentic


StateDep = Annotated[AppState, Depends(app_state)]


SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_session(state: StateDep, request: Request) -> AsyncIterator[AsyncSession]:
    """A read (GET, HEAD) runs without a transaction: two round trips fewer
    per request (the profile of GET /workflows in issue 11); everything else
    gets its transaction."""
    sessions = state.read_sessions if request.method in SAFE_METHODS else state.sessions
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    user: User
    scopes: frozenset[str]
    # Set when the caller authenticated with an API key rather than a login's token.
    api_key_id: str | None = None

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        """Admin powers need both an admin account and a token that asked for them."""
        return self.user.is_admin and "admin" in self.scopes


def _unauthorized(message: str, scopes: SecurityScopes) -> ApiError:
    challenge = f'Bearer scope="{scopes.scope_str}"' if scopes.scopes else "Bearer"
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


async def authenticate(tokens: TokenCodec, session: AsyncSession, token: str) -> Principal | None:
    """Who a token or API key speaks for now, or None: a bad or expired token, an unknown
    or disabled user, a revoked token (its `ver` is not the user's token_version), an
    unknown, revoked or expired API key."""
    if api_keys.is_api_key(token):
        found = await api_keys.find_usable(session, token)
        if found is None:
            return None
        key, user = found
        return Principal(user=user, scopes=frozenset(key.scopes) & frozenset(allowed_scopes(user.is_admin)),
                         api_key_id=key.id)
    try:
        claims = tokens.verify(token)
    except InvalidToken:
        return None
    user = await session.get(User, claims.user_id)
    if user is None or user.disabled or claims.version != user.token_version:
        return None
    # A token never grants more than the account has now (e.g. a revoked admin).
    return Principal(user=user, scopes=claims.scopes & frozenset(allowed_scopes(user.is_admin)))


async def current_principal(
    security_scopes: SecurityScopes,
    request: Request,
    state: StateDep,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2)],
) -> Principal:
    if not token:
        raise _unauthorized("not authenticated", security_scopes)
    principal = await authenticate(state.tokens, session, token)
    if principal is None:
        raise _unauthorized("invalid, expired or revoked token or API key", security_scopes)
    # The audit middleware reads who acted from the request scope.
    request.scope["agentic.actor"] = (principal.user.id, principal.user.username)
    logs.bind(user_id=principal.user.id)  # the request's log records name who acted
    missing = [s for s in security_scopes.scopes if s not in principal.scopes]
    if missing:
        raise ApiError(403, "insufficient_scope", f"the token lacks scope(s): {', '.join(missing)}",
                       details=[{"required": security_scopes.scopes}])
    return principal


async def session_principal(principal: Annotated[Principal, Security(current_principal)]) -> Principal:
    """A person's login, not an API key: what manages credentials (new keys, the password,
    logout) is refused to keys, so a leaked key cannot mint keys that outlive it."""
    if principal.api_key_id is not None:
        raise ApiError(403, "login_required", "an API key cannot do this: use a login's access token")
    return principal


AnyUser = Annotated[Principal, Security(current_principal)]
SessionUser = Annotated[Principal, Depends(session_principal)]
ReadUser = Annotated[Principal, Security(current_principal, scopes=["read"])]
WriteUser = Annotated[Principal, Security(current_principal, scopes=["write"])]
ExecuteUser = Annotated[Principal, Security(current_principal, scopes=["execute"])]
DeleteUser = Annotated[Principal, Security(current_principal, scopes=["delete"])]
AdminUser = Annotated[Principal, Security(current_principal, scopes=["admin"])]
