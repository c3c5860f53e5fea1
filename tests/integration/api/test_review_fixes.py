"""Regressions for defects found in review of the API."""

from __future__ import annotations

import asyncio
import time

import pytest

from api import reconciler, starts
from core.db.models import Execution
from tests.integration.api.helpers import wait_finished

BASE = "/api/v1/enterprise/approvals"
WAITING = {"name": "waits", "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60}}]}


async def create(api, headers, definition) -> str:
    response = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_result_of_an_execution_awaiting_approval_is_409(api, make_user):
    name, approver = await make_user()
    _, owner = await make_user()
    wid = await create(api, owner, {"name": "g", "nodes": [{"id": "x", "type": "transform", "config": {"output": 1}}]})
    accepted = await api.post(f"{BASE}/workflows/{wid}/request", headers=owner,
                              json={"approval": {"approvers": [f"user:{name}"]}})
    assert accepted.status_code == 202, accepted.text
    result = await api.get(f"/api/v1/executions/{accepted.json()['id']}/result", headers=owner)
    assert result.status_code == 409
    assert result.json()["error"]["code"] == "not_finished"
    assert "awaiting_approval" in result.json()["error"]["message"]


async def test_debug_sessions_need_more_than_read(api, make_user):
    _, reader = await make_user("read")
    response = await api.post("/api/v1/debug/sessions", json={"execution_id": "x" * 32}, headers=reader)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize("definition_config, path_part", [
    ({"approvers": ["a"], "timeout_s": 1e15, "on_timeout": "reject"}, "timeout_s"),
    ({"approvers": ["a"], "escalation": [{"after_s": 1e12, "add_approvers": ["b"]}]}, "after_s"),
])
async def test_approval_waits_are_bounded_at_save(api, make_user, definition_config, path_part):
    _, owner = await make_user()
    response = await api.post("/api/v1/workflows", headers=owner, json={
        "name": "a", "nodes": [{"id": "ok", "type": "approval", "config": definition_config}]})
    assert response.status_code == 422
    assert any(path_part in d["path"] for d in response.json()["error"]["details"])


@pytest.mark.parametrize("spec", [
    {"intervals": [{"every_s": 60, "offset_s": 1e300}]},
    {"intervals": [{"every_s": 60}], "start_at": "0001-01-01T00:00:00+14:00"},
    {"intervals": [{"every_s": 60}], "end_at": "9999-12-31T23:59:59-14:00"},
])
async def test_extreme_schedule_values_are_422_and_leave_no_row(api, make_user, spec):
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    response = await api.post("/api/v1/enterprise/schedules", headers=owner,
                              json={"workflow_id": wid, "version": "latest", "spec": spec})
    assert response.status_code == 422, response.text
    listed = await api.get("/api/v1/enterprise/schedules", headers=owner)
    assert listed.json()["total"] == 0


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
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(minutes=minutes)
