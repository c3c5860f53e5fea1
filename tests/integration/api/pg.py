"""The PostgreSQL server the API tests use: the one at AGENTIC_TEST_PG
(default 127.0.0.1:5432) when it answers, otherwise an embedded PostgreSQL 16
(the pgserver wheel, as `make run` uses) started for the test session in a
temporary directory, so `make test` passes on a machine with nothing installed."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

CONFIGURED_DSN = os.environ.get("AGENTIC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class Server:
    """The admin DSN, found (or started) once per session."""

    def __init__(self) -> None:
        self.dsn: str | None = None
        self.embedded_dir: Path | None = None

    async def admin_dsn(self) -> str:
        if self.dsn is None:
            self.dsn = CONFIGURED_DSN if await _answers(CONFIGURED_DSN) else self._start_embedded()
        return self.dsn

    def _start_embedded(self) -> str:
        from core.db.embedded import start_embedded_postgres

        self.embedded_dir = Path(tempfile.mkdtemp(prefix="agentic-test-pg-"))
        url = start_embedded_postgres(self.embedded_dir)
        return url.replace("postgresql+asyncpg://", "postgresql://", 1)

    def stop(self) -> None:
        if self.embedded_dir is None:
            return
        from core.db.embedded import stop_embedded_postgres

        stop_embedded_postgres(self.embedded_dir)
        shutil.rmtree(self.embedded_dir, ignore_errors=True)


SERVER = Server()


async def _answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return False
    await conn.close()
    return True


def with_database(dsn: str, name: str) -> str:
    """The same server (host, port or socket directory), another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
