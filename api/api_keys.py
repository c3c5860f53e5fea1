"""API keys: long-lived, scoped, revocable credentials for machines, sent as
`Authorization: Bearer agk_...` (the prefix tells a key from a JWT without
parsing it; the CLI relies on it).

A key speaks for its owner as the owner is now, with at most the key's scopes:
the admin scope only while the account is an admin, the account's current roles,
and nothing while the account is disabled. Keys do not carry the account's
token_version: logging out or changing the password ends sessions, not the
machines' keys; an admin's revoke-tokens ends both (docs/api.md)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from api.security import opaque_token, token_digest
from core.db.base import utcnow
from core.db.models import ApiKey, User

PREFIX = "agk_"
KEY_PATTERN = re.compile(r"agk_[A-Za-z0-9_-]{43}")
# What a listing shows of a key: `agk_` and 8 characters, enough to tell keys apart
# and far from enough to guess the other 35.
SHOWN_CHARS = 12
# last_used_at is written at most this often per key: one UPDATE a minute, not one a request.
TOUCH_EVERY = timedelta(seconds=60)


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def new_key(user_id: str, name: str, scopes: list[str], expires_at: datetime | None) -> tuple[str, ApiKey]:
    """The key (to show once) and its row (which never holds it)."""
    key = opaque_token(PREFIX)
    return key, ApiKey(user_id=user_id, name=name, prefix=key[:SHOWN_CHARS], key_hash=token_digest(key),
                       scopes=scopes, expires_at=expires_at)


async def find_usable(session: AsyncSession, key: str) -> tuple[ApiKey, User] | None:
    """The key's row and its owner, or None for an unknown, revoked or expired key
    or a disabled owner. Records the use (at most once per TOUCH_EVERY)."""
    if KEY_PATTERN.fullmatch(key) is None:
        return None
    found = (await session.execute(select(ApiKey, User).join(User, User.id == ApiKey.user_id)
                                   .where(ApiKey.key_hash == token_digest(key)))).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now) or user.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        await _touch(session, row, now)
    return row, user


async def _touch(session: AsyncSession, row: ApiKey, now: datetime) -> None:
    # Guarded, so API processes that see the same stale value write it once.
    await session.execute(
        update(ApiKey).where(ApiKey.id == row.id,
                             or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False))
    await session.commit()
    set_committed_value(row, "last_used_at", now)  # as stored: not a change to flush again


async def revoke_all(session: AsyncSession, user_id: str) -> None:
    """Every live key of the user (the caller commits)."""
    await session.execute(update(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
                          .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
