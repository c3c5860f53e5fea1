"""Refresh tokens with rotation and reuse detection (RFC 6819 5.2.2.3, OAuth 2.1
4.3.1): a password login starts a family; each refresh uses up the presented
token and issues its successor in the same family. Presenting a used (or
revoked) token again means two parties hold it, so the whole family is revoked
and both must log in again.

Tokens are `agr_` + 256 random bits; only their SHA-256 is stored. A family ends
at the latest `refresh_session_max_hours` after its login; each token expires
`refresh_expiry_hours` after it was issued; a bump of the account's token_version
(logout, password change, an admin's revoke-tokens) ends every family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.security import allowed_scopes, opaque_token, token_digest
from api.settings import ApiSettings
from core.db.base import new_id, utcnow
from core.db.models import RefreshToken, User

PREFIX = "agr_"
TOKEN_PATTERN = r"^agr_[A-Za-z0-9_-]{43}$"


@dataclass(frozen=True)
class RefreshPolicy:
    expiry: timedelta
    session_max: timedelta

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> RefreshPolicy:
        return cls(expiry=timedelta(hours=settings.refresh_expiry_hours),
                   session_max=timedelta(hours=settings.refresh_session_max_hours))


@dataclass(frozen=True)
class Issued:
    token: str
    expires_in: int  # seconds


class RefreshRefused(Exception):
    pass


def _issue(session: AsyncSession, user: User, scopes: list[str], family_id: str,
           family_expires_at: datetime, policy: RefreshPolicy) -> Issued:
    now = utcnow()
    token = opaque_token(PREFIX)
    expires_at = min(now + policy.expiry, family_expires_at)
    session.add(RefreshToken(user_id=user.id, family_id=family_id, token_hash=token_digest(token), scopes=scopes,
                             token_version=user.token_version, expires_at=expires_at,
                             family_expires_at=family_expires_at))
    return Issued(token=token, expires_in=int((expires_at - now).total_seconds()))


async def start_family(session: AsyncSession, user: User, scopes: list[str], policy: RefreshPolicy) -> Issued:
    """The first refresh token of a login (the caller commits). The user's ended
    families are deleted here: nothing can be detected about them any more."""
    await session.execute(delete(RefreshToken).where(RefreshToken.user_id == user.id,
                                                     RefreshToken.family_expires_at <= utcnow()))
    return _issue(session, user, scopes, new_id(), utcnow() + policy.session_max, policy)


async def rotate(session: AsyncSession, token: str, policy: RefreshPolicy) -> tuple[User, list[str], Issued]:
    """Uses up `token` and issues its successor; commits. Raises RefreshRefused for an
    unknown, expired, used or revoked token, a disabled account or a bumped token_version
    (the last three also revoke the family).

    The claim is one guarded UPDATE, and the successor is inserted in the same
    transaction: of two concurrent uses the second waits on the row lock, then finds
    the token used and revokes the family, successor included."""
    now = utcnow()
    claimed = await session.scalar(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_digest(token), RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None))
        .values(used_at=now).returning(RefreshToken).execution_options(synchronize_session=False))
    if claimed is None:
        family = await session.scalar(select(RefreshToken.family_id)
                                      .where(RefreshToken.token_hash == token_digest(token)))
        if family is not None:
            await _revoke_family(session, family)
        raise RefreshRefused("reused" if family is not None else "unknown")
    if claimed.expires_at <= now:
        await session.commit()
        raise RefreshRefused("expired")
    user = await session.get(User, claimed.user_id)
    if user is None or user.disabled or user.token_version != claimed.token_version:
        await _revoke_family(session, claimed.family_id)
        raise RefreshRefused("account disabled or its tokens revoked")
    # Never more than the account has now (e.g. an admin who no longer is).
    scopes = [s for s in claimed.scopes if s in allowed_scopes(user.is_admin)]
    issued = _issue(session, user, scopes, claimed.family_id, claimed.family_expires_at, policy)
    await session.commit()
    return user, scopes, issued


async def _revoke_family(session: AsyncSession, family_id: str) -> None:
    await session.execute(update(RefreshToken)
                          .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                          .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    await session.commit()


async def revoke_all(session: AsyncSession, user_id: str) -> None:
    """Every live refresh token of the user (the caller commits)."""
    await session.execute(update(RefreshToken)
                          .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                          .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
