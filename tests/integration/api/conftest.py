"""API tests: a fresh PostgreSQL database per session (migrated with Alembic),
the session's Temporal dev server (parent conftest), one real worker with the
record-keeping activity, and the app driven in-process through ASGITransport."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from worker.app import build_worker

from .pg import SERVER, database_name, with_database

ROOT = Path(__file__).resolve().parents[3]
ADMIN_PASSWORD = "admin-password-for-tests"
JWT_SECRET = "test-secret-" + "x" * 40


async def create_database() -> str:
    name = f"agentic_test_{uuid.uuid4().hex[:10]}"
    admin = await SERVER.admin_dsn()
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin, name)


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(await SERVER.admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
    finally:
        await conn.close()


def alembic(url: str, *args: str) -> None:
    """Alembic's env.py runs its own event loop, so it runs as a subprocess."""
    env = {**os.environ, "AGENTIC_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "alembic", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="session")
async def database_url():
    url = await create_database()
    alembic(url, "upgrade", "head")
    yield url
    await drop_database(url)
    SERVER.stop()  # the embedded server, when no configured one answered


@pytest.fixture(scope="session")
def api_settings(temporal_address, temporal_http_port, database_url) -> ApiSettings:
    return ApiSettings(
        temporal_address=temporal_address, database_url=database_url,
        temporal_task_queue=f"api-{uuid.uuid4().hex[:8]}", jwt_secret=JWT_SECRET,
        admin_username="admin", admin_password=ADMIN_PASSWORD, shell_enabled=False,
        reconcile_grace_s=1.0, reconcile_interval_s=1.0,
        # The fixtures register and log in many users from one address within seconds;
        # tests/integration/api/test_throttle.py runs its own instances with low limits.
        register_per_minute=1_000_000, login_failures_per_minute=1_000_000,
        # The tests' servers listen on 127.0.0.1; the platform's ports (this
        # Temporal, this PostgreSQL, the API) stay refused.
        outbound_allow_loopback=True, outbound_deny=[f"127.0.0.1:{temporal_http_port}"],
    )


@pytest.fixture(scope="session")
async def api_worker(client, api_settings):
    worker = build_worker(client, api_settings, task_queue=api_settings.temporal_task_queue)
    await worker.__aenter__()
    yield worker
    await worker.__aexit__(None, None, None)


@pytest.fixture(scope="session")
async def app(api_settings, client, api_worker):
    application = create_app(api_settings, temporal_client=client)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def api(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api",
                                 timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
async def served_base(app) -> AsyncIterator[str]:
    """The session's app (its lifespan already running) on a real socket, for
    clients that cannot use the ASGI transport (WebSockets, the CLI as a subprocess)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(served.serve())
    while not served.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def another_app(settings: ApiSettings, client) -> AsyncIterator:
    """A second API process of the installation (same database), with its own settings."""
    application = create_app(settings, temporal_client=client, reconcile=False)
    async with application.router.lifespan_context(application):
        yield application


def asgi_client(application, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client of `application` that connects from `address`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application, client=(address, 50000)),
                             base_url="http://api", timeout=30)


async def login(api: httpx.AsyncClient, username: str, password: str, scopes: str | None = None) -> dict:
    form = {"username": username, "password": password}
    if scopes is not None:
        form["scope"] = scopes
    response = await api.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def make_user(api):
    """Registers a fresh user; returns (username, headers) for the scopes asked."""

    async def make(scopes: str | None = None) -> tuple[str, dict]:
        username = f"u{uuid.uuid4().hex[:10]}"
        response = await api.post("/api/v1/auth/register", json={"username": username, "password": "pw-" + username})
        assert response.status_code == 201, response.text
        return username, await login(api, username, "pw-" + username, scopes)

    return make


@pytest.fixture(scope="session")
async def admin_headers(api) -> dict:
    return await login(api, "admin", ADMIN_PASSWORD)
