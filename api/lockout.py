"""Account locks after consecutive failed logins: after `after` failures the
account is locked for `first_s`, doubling with each further failure up to
`max_s`; a successful login resets the count. Accounts keep their count on
the user row (users.failed_logins / locked_until: shared by every API
process). Unknown usernames get the same treatment in memory, so a lock does
not tell an attacker which names exist."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import User

MAX_UNKNOWN_NAMES = 50_000
# Longer names cannot exist (api/schemas/auth.py UserCreate), so there is nothing to hide
# about them, and not remembering them keeps the memory bound small.
MAX_USERNAME_LENGTH = 64


@dataclass(frozen=True)
class LockPolicy:
    after: int
    first_s: float
    max_s: float

    def lock_s(self, failures: int) -> float | None:
        if failures < self.after:
            return None
        # The exponent is capped: a count in the thousands must not overflow a float.
        return min(self.first_s * 2 ** min(failures - self.after, 40), self.max_s)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AccountLocks:
    def __init__(self, policy: LockPolicy, *, clock: Callable[[], datetime] = _utcnow):
        self.policy, self._clock = policy, clock
        # lower(username) -> (consecutive failures, locked until) for names with no account
        self._unknown: OrderedDict[str, tuple[int, datetime | None]] = OrderedDict()

    def wait_s(self, user: User | None, name: str) -> float | None:
        """Seconds the account (or unknown name) stays locked, or None."""
        until = user.locked_until if user is not None else self._unknown.get(name, (0, None))[1]
        if until is None:
            return None
        left = (until - self._clock()).total_seconds()
        return left if left > 0 else None

    async def failed(self, session: AsyncSession, name: str) -> None:
        """Counts a failure for `name` (lower case). The same UPDATE runs for unknown
        names (matching no row), so both cost one round trip."""
        failures = await session.scalar(
            update(User).where(func.lower(User.username) == name)
            .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins))
        if failures is None:
            if len(name) <= MAX_USERNAME_LENGTH:
                self._remember_unknown(name)
        elif (until := self._until(failures)) is not None:
            await session.execute(update(User).where(func.lower(User.username) == name)
                                  .values(locked_until=until))
        await session.commit()

    async def succeeded(self, session: AsyncSession, user: User) -> None:
        if user.failed_logins or user.locked_until is not None:
            user.failed_logins, user.locked_until = 0, None
            await session.commit()

    def _remember_unknown(self, name: str) -> None:
        failures = self._unknown.get(name, (0, None))[0] + 1
        self._unknown[name] = (failures, self._until(failures))
        self._unknown.move_to_end(name)
        while len(self._unknown) > MAX_UNKNOWN_NAMES:
            self._unknown.popitem(last=False)

    def _until(self, failures: int) -> datetime | None:
        lock_s = self.policy.lock_s(failures)
        return None if lock_s is None else self._clock() + timedelta(seconds=lock_s)
