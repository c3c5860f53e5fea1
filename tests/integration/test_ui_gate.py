"""The read-only gate `make run` puts in front of the Temporal Web UI (issue 8.4):
reads and queries pass, writes (terminate, signal, update, start) are refused,
and the UI is told that write actions are off."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
import uvicorn

from cli.devserver import free_port, start_temporal
from cli.ui_gate import create_gate
from tests.integration.graphs import graph, node, start

pytestmark = pytest.mark.integration
CODEC_ENDPOINT = "http://127.0.0.1:8233/codec"  # what make run passes (cli/devstack.py)


@pytest.fixture(scope="module")
def temporal_with_ui():
    port, ui_port = free_port(), free_port()
    process = start_temporal(port=port, ui_port=ui_port, ui_codec_endpoint=CODEC_ENDPOINT)
    # The UI dials the frontend once at start and backs off when it was early.
    for _ in range(200):
        if httpx.get(f"http://127.0.0.1:{ui_port}/api/v1/namespaces/default/workflows").status_code == 200:
            break
        time.sleep(0.1)
    yield port, ui_port
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
async def gate(temporal_with_ui):
    _, ui_port = temporal_with_ui
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_gate(f"http://127.0.0.1:{ui_port}"), host="127.0.0.1",
                                           port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http
    server.should_exit = True
    await task


async def test_reads_pass_and_writes_are_refused(gate, temporal_with_ui):
    from core.settings import Settings
    from core.temporal import connect
    from worker.app import build_worker

    port, _ = temporal_with_ui
    settings = Settings(temporal_address=f"127.0.0.1:{port}", database_url=None)
    client = await connect(settings)
    queue = f"gate-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=queue):
        handle = await start(client, queue, graph([node("wait", "delay", {"seconds": 60})]))
        wid = handle.id
        settings_page = await gate.get("/api/v1/settings")
        assert settings_page.status_code == 200 and settings_page.json()["DisableWriteActions"] is True
        described = await gate.get(f"/api/v1/namespaces/default/workflows/{wid}")
        assert described.status_code == 200, described.text
        history = await gate.get(f"/api/v1/namespaces/default/workflows/{wid}/history")
        assert history.status_code == 200 and history.json()["history"]["events"]
        csrf = {"Cookie": "_csrf=x", "X-CSRF-TOKEN": "x"}  # what the UI's own pages send
        query = await gate.post(f"/api/v1/namespaces/default/workflows/{wid}/query/progress",
                                json={"query": {"queryType": "progress"}}, headers=csrf)
        assert query.status_code == 200, query.text  # a query passes the gate and answers
        assert "queryResult" in query.json()
        headers = csrf  # a forged request carries the same
        for path, body in ((f"/api/v1/namespaces/default/workflows/{wid}/terminate", {"reason": "x"}),
                           (f"/api/v1/namespaces/default/workflows/{wid}/signal/x", {}),
                           (f"/api/v1/namespaces/default/workflows/{wid}/update/decide", {}),
                           (f"/api/v1/namespaces/default/workflows/{wid}/reset", {}),
                           ("/api/v1/namespaces/default/workflows/new-one", {"workflowType": {"name": "X"}})):
            refused = await gate.post(path, json=body, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "ui_read_only"
        assert (await gate.delete("/api/v1/namespaces/default/schedules/x")).status_code == 403
        assert (await handle.describe()).status.name == "RUNNING"  # nothing got through
        await handle.terminate("test over")


async def test_the_ui_is_told_to_decode_payloads_through_the_gate(gate):
    """`--ui-codec-endpoint` reaches the UI's settings (the browser reads them
    there), through the gate; the gate itself serves /codec/* only when given
    the API (tests/integration/api/test_codec.py forwards through it)."""
    settings_page = await gate.get("/api/v1/settings")
    assert settings_page.json()["Codec"]["Endpoint"] == CODEC_ENDPOINT
    not_served = await gate.post("/codec/decode", json={"payloads": []})
    assert not_served.status_code == 403  # a write the UI gate refuses, without --codec-api
