"""What the lifespan builds once per process and handlers share."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.lockout import AccountLocks, LockPolicy
from api.metrics import PlatformCounts
from api.security import TokenCodec
from api.settings import ApiSettings
from api.throttle import SlidingWindow
from outbound.client import policy_from_settings
from outbound.policy import Policy


@dataclass
class AuthThrottle:
    """What limits the endpoints anyone may call: kept for the process's lifetime."""

    registrations: SlidingWindow
    login_failures: SlidingWindow
    locks: AccountLocks

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> AuthThrottle:
        return cls(registrations=SlidingWindow(settings.register_per_minute),
                   login_failures=SlidingWindow(settings.login_failures_per_minute),
                   locks=AccountLocks(LockPolicy(settings.login_lock_after, settings.login_lock_s,
                                                 settings.login_lock_max_s)))


@dataclass
class AppState:
    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client  # lazy: connects on first use, so the API starts while Temporal is down
    tokens: TokenCodec
    throttle: AuthThrottle
    # Deliveries per webhook id, each under its own per-minute limit (api/routes/hooks.py).
    webhook_deliveries: SlidingWindow = field(default_factory=lambda: SlidingWindow(limit=60))
    background: list[asyncio.Task] = field(default_factory=list)
    platform_counts: PlatformCounts = field(default_factory=PlatformCounts)  # the /metrics gauges

    @functools.cached_property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for safe requests (GET, HEAD): the same pool in autocommit,
        so a read costs no BEGIN and no ROLLBACK round trip (each statement
        sees committed data, as under READ COMMITTED in a transaction)."""
        return async_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                  expire_on_commit=False)

    @functools.cached_property
    def egress(self) -> Policy:
        """The egress policy the worker builds from the same settings: URLs a
        version writes out are judged by it when it is saved."""
        return policy_from_settings(self.settings)
