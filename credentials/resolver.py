"""The worker's side: the plaintext of the secrets one node call references,
resolved for the run's owner (GraphInput.owner_id) at the moment the node
runs, so a share revoked since the run was scheduled or started is honoured.
Runs in activities only: values never enter workflow code or history."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db.models import User
from core.db.session import make_engine, make_sessionmaker
from core.keys import KeyProblem
from core.settings import Settings
from credentials.access import Actor, SecretUnavailable
from credentials.crypto import CryptoError
from credentials.keys import keyring
from credentials.names import ENV_PREFIX
from credentials.store import resolve_names, reveal


@dataclass(frozen=True)
class Resolved:
    value: str
    allowed_hosts: tuple[str, ...] = ()  # empty: any host

    def __repr__(self) -> str:  # never the value in a log or traceback
        return f"Resolved(allowed_hosts={self.allowed_hosts!r})"


class SecretResolver:
    """One per worker process; the engine is created on first use (like the
    record activity's), so a worker without PostgreSQL serves operator runs."""

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None):
        self._settings = settings
        self._environ = os.environ if environ is None else environ
        self._engine: AsyncEngine | None = None
        self._maker = None
        self._lock = asyncio.Lock()

    async def resolve(self, owner_id: str | None, names: Iterable[str]) -> dict[str, Resolved]:
        """Raises SecretUnavailable (the first name that does not resolve)."""
        names = sorted(set(names))
        if not names:
            return {}
        if owner_id is None:
            return {name: self._from_env(name) for name in names}
        async with (await self._sessions())() as session:
            actor = await self._actor(session, owner_id)
            chosen, refused = await resolve_names(session, actor, names, self._settings.env_secret_grants)
        if refused:
            raise next(iter(refused.values()))
        resolved = {}
        for name, choice in chosen.items():
            if choice.source == "environment":
                resolved[name] = self._from_env(name)
            else:
                resolved[name] = Resolved(self._reveal(choice.secret), tuple(choice.secret.allowed_hosts))
        return resolved

    def _from_env(self, name: str) -> Resolved:
        value = self._environ.get(ENV_PREFIX + name)
        if value is None:
            raise SecretUnavailable("secret_not_set", f"secret {name!r} is not set (no own or shared secret, and "
                                                      f"no {ENV_PREFIX}{name} on the worker)")
        return Resolved(value)

    def _reveal(self, row) -> str:
        try:
            return reveal(row, keyring(self._settings))
        except (CryptoError, KeyProblem) as err:
            raise SecretUnavailable("secret_store_error", f"secret {row.name!r} cannot be decrypted: {err}") from None

    async def _actor(self, session: AsyncSession, owner_id: str) -> Actor:
        user = await session.get(User, owner_id)
        if user is None or user.disabled:
            raise SecretUnavailable("secret_not_accessible", "the run's owner no longer exists or is disabled")
        return Actor.of(user)

    async def _sessions(self):
        if not self._settings.database_url:
            raise SecretUnavailable("secret_store_unavailable",
                                    "this worker has no database (AGENTIC_DATABASE_URL), so it cannot "
                                    "resolve a user's secrets")
        async with self._lock:
            if self._engine is None:
                self._engine = make_engine(self._settings.database_url, pool_size=5)
                self._maker = make_sessionmaker(self._engine)
        return self._maker

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
