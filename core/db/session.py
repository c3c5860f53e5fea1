"""One async engine and session factory per process, from the database URL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def async_url(url: str) -> str:
    """Accept plain postgres URLs too: the driver is always asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pool_pre_ping: it costs a round trip per request (measured with
    # bench/api.py); connections broken by a database restart are dropped by
    # the pool on first error and recycled hourly anyway.
    return create_async_engine(async_url(url), pool_size=pool_size, max_overflow=20,
                               pool_recycle=3600)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers read rows after committing them.
    return async_sessionmaker(engine, expire_on_commit=False)
