"""One real Temporal dev server per test session; a fresh task queue per test."""

from __future__ import annotations

import uuid

import pytest

from cli.devserver import free_port, start_temporal
from core.settings import Settings
from core.temporal import connect
from worker.app import build_worker


@pytest.fixture(scope="session")
def temporal_http_port() -> int:
    """The dev server's HTTP API (it takes the Web UI's calls): pinned, so
    the egress policy can be told of it and tests can attack it."""
    return free_port()


@pytest.fixture(scope="session")
def temporal_address(temporal_http_port):
    port = free_port()
    process = start_temporal(port=port, http_port=temporal_http_port)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def settings(temporal_address, temporal_http_port) -> Settings:
    # Loopback allowed, as `make run` does: the tests' own servers listen on
    # 127.0.0.1. The platform's ports (this Temporal among them) stay refused.
    return Settings(temporal_address=temporal_address, shell_enabled=True, database_url=None,
                    outbound_allow_loopback=True, outbound_deny=[f"127.0.0.1:{temporal_http_port}"])


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
        worker = build_worker(client, settings, task_queue=task_queue)
        await worker.__aenter__()
        started.append(worker)
        return worker

    yield start
    for worker in reversed(started):
        await worker.__aexit__(None, None, None)


@pytest.fixture
async def worker(make_worker, settings):
    return await make_worker(settings)
