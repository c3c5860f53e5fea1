"""Migrations: upgrade from empty, downgrade to base, upgrade again."""

from __future__ import annotations

import asyncpg

from .conftest import alembic, create_database, drop_database

TABLES = {"users", "workflows", "workflow_versions", "executions", "templates", "debug_sessions", "secrets",
          "approvals", "schedules", "compliance_scans", "audit_log", "api_keys", "refresh_tokens",
          "webhooks", "compliance_policies", "compliance_violations", "template_versions"}


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows} - {"alembic_version"}


async def test_upgrade_downgrade_upgrade():
    url = await create_database()
    try:
        alembic(url, "upgrade", "head")
        assert await tables(url) == TABLES
        alembic(url, "downgrade", "base")
        assert await tables(url) == set()
        alembic(url, "upgrade", "head")
        assert await tables(url) == TABLES
        alembic(url, "check")  # the models and the migrations agree
    finally:
        await drop_database(url)
