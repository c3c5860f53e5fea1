"""The reconciler and the start pipeline keep each execution row in step with its workflow: a run
closed outside the API is swept to its real status, and a cancel that races
the start cancels the workflow that started."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from api import reconciler, starts
from core.db.models import Execution
from tests.integration.api.helpers import wait_finished

WAITING = {"name": "waits", "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60}}]}


async def create(api, headers, definition) -> str:
    response = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_run_closed_outside_the_api_is_swept_to_its_real_status(api, app, client, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    started = await api.post(f"/api/v1/workflows/{wid}/executions", json={}, headers=owner)
    eid = started.json()["id"]
    # Terminated from the Temporal Web UI / CLI: the workflow cannot record itself.
    await client.get_workflow_handle(started.json()["temporal_workflow_id"]).terminate(reason="from the UI")
    deadline = time.monotonic() + 20
    while True:
        row = (await api.get(f"/api/v1/executions/{eid}", headers=owner)).json()
        if row["status"] == "terminated" and not row["live"]:
            break
        assert time.monotonic() < deadline, f"row never caught up: {row['status']}"
        await reconciler.sweep_closed(app.state.agentic.sessions, client, since=_minutes_ago(5))
        await asyncio.sleep(0.5)
    assert row["error"]["code"] == "closed_terminated"


async def test_cancel_racing_the_start_cancels_the_started_workflow(api, app, client, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    started = await api.post(f"/api/v1/workflows/{wid}/executions", json={}, headers=owner)
    eid, twid = started.json()["id"], started.json()["temporal_workflow_id"]
    sessions = app.state.agentic.sessions
    # The row was cancelled while the start was in flight; the start then lands.
    async with sessions() as session:
        row = await session.get(Execution, eid)
        row.status = "cancelled"
        await session.commit()
    async with sessions() as session:
        await starts.mark_started(session, eid, started.json()["temporal_run_id"], client)
    handle = client.get_workflow_handle(twid)
    with pytest.raises(Exception):
        await asyncio.wait_for(handle.result(), 20)
    assert (await handle.describe()).status.name == "CANCELED"
    final = await wait_finished(api, eid, owner)
    assert final["status"] == "cancelled"


def _minutes_ago(minutes: float):
    return datetime.now(UTC) - timedelta(minutes=minutes)
