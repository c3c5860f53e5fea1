"""One real Temporal dev server per test session; a fresh task queue per test."""

from __future__ import annotations

import uuid

import httpx
import pytest

from cli.devserver import free_port, start_temporal
from core.settings import Settings
from core.temporal import connect
from worker.app import build_worker


@pytest.fixture(scope="session")
def temporal_address():
    port = free_port()
    process = start_temporal(port=port)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def settings(temporal_address) -> Settings:
    return Settings(temporal_address=temporal_address, shell_enabled=True, database_url=None)


@pytest.fixture(scope="session")
async def client(settings):
    return await connect(settings)


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def make_worker(client, task_queue):
    """Starts a real worker on the test's task queue; settings may be overridden."""
    started = []

    async def start(settings: Settings):
        http = httpx.AsyncClient()
        worker = build_worker(client, settings, http, task_queue=task_queue)
        await worker.__aenter__()
        started.append((worker, http))
        return worker

    yield start
    for worker, http in reversed(started):
        await worker.__aexit__(None, None, None)
        await http.aclose()


@pytest.fixture
async def worker(make_worker, settings):
    return await make_worker(settings)
