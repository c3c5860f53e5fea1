"""End to end: register, token, create, execute, poll, result, per-node summary."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.db.models import AuditLog, Execution

from .graphs import three_nodes
from .helpers import wait_finished


async def test_register_to_result(api, app, client):
    username = f"e2e{uuid.uuid4().hex[:8]}"
    response = await api.post("/api/v1/auth/register", json={"username": username, "password": "secret-pass"})
    assert response.status_code == 201
    token = await api.post("/api/v1/auth/token", data={"username": username, "password": "secret-pass"})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await api.get("/api/v1/auth/me", headers=headers)
    assert me.json()["username"] == username
    assert set(me.json()["scopes"]) == {"read", "write", "execute", "delete"}

    created = await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)
    assert created.status_code == 201, created.text
    wf = created.json()
    assert wf["latest_version"] == 1

    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"inputs": {"who": "ada"}},
                             headers=headers)
    assert started.status_code == 202, started.text
    accepted = started.json()
    assert accepted["temporal_workflow_id"] == f"exec-{accepted['id']}"
    assert accepted["temporal_run_id"]
    assert accepted["ui_url"].endswith(f"/workflows/exec-{accepted['id']}/{accepted['temporal_run_id']}/history")

    final = await wait_finished(api, accepted["id"], headers)
    assert final["status"] == "succeeded"
    assert final["version"] == 1
    assert final["finished_at"] and final["duration_ms"] is not None
    assert {k: v["state"] for k, v in final["nodes"].items()} == {
        "greet": "succeeded", "shout": "succeeded", "done": "succeeded"}
    assert all(v["attempts"] == 1 and v["duration_ms"] is not None for v in final["nodes"].values())

    result = await api.get(f"/api/v1/executions/{accepted['id']}/result", headers=headers)
    assert result.status_code == 200
    assert result.json()["outputs"]["done"] == {"final": "HELLO ADA"}

    # The Temporal execution exists under the deterministic id with its search attributes.
    desc = await client.get_workflow_handle(accepted["temporal_workflow_id"]).describe()
    assert desc.run_id == accepted["temporal_run_id"]
    assert desc.memo and (await desc.memo_value("name")) == "three"

    listed = await api.get("/api/v1/executions", params={"workflow_id": wf["id"]}, headers=headers)
    assert [e["id"] for e in listed.json()["items"]] == [accepted["id"]]
    graph = await api.get(f"/api/v1/workflows/{wf['id']}/graph", headers=headers)
    assert graph.text.startswith("flowchart TD") and "greet --> shout" in graph.text

    async with app.state.agentic.sessions() as session:
        row = await session.get(Execution, accepted["id"])
        assert row.status == "succeeded" and row.nodes["done"]["output"] == {"final": "HELLO ADA"}
        actions = (await session.scalars(select(AuditLog.action).where(AuditLog.actor_name == username))).all()
    assert "POST /api/v1/workflows" in actions
    assert "POST /api/v1/workflows/{workflow_id}/executions" in actions


async def test_failed_graph_is_recorded(api, make_user):
    _, headers = await make_user()
    bad = {"name": "fails", "nodes": [
        {"id": "boom", "type": "transform", "config": {"output": "{{ inputs.missing.deeper }}"},
         "retry": {"max_attempts": 1}}], "edges": []}
    wf = (await api.post("/api/v1/workflows", json=bad, headers=headers)).json()
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=headers)
    assert started.status_code == 202
    final = await wait_finished(api, started.json()["id"], headers)
    assert final["status"] == "failed"
    assert final["nodes"]["boom"]["state"] == "failed"
    assert final["error"]
