"""Temporal reset of the same execution to the point before a node: a 3-node
run whose last node failed is fixed on the server side and reset to before
that node; the new run succeeds, the upstream nodes did not run again (the
server's counter), and the execution row follows the new run. Refusals:
another user's execution (404), an unknown node (422), a skipped node or one
inside a sub-workflow (409)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api import reconciler

from .helpers import ScriptedServer, wait_finished


@pytest.fixture
async def server():
    async with ScriptedServer() as s:
        yield s


def definition(base: str) -> dict:
    """one -> two -> three (all HTTP); `never` hangs off one behind a false condition
    (skipped); `sub` is a sub-workflow behind the same false condition."""
    return {
        "name": "reset me",
        "nodes": [
            {"id": "one", "type": "http_request", "config": {"url": f"{base}/one"}},
            {"id": "two", "type": "http_request", "config": {"url": f"{base}/two"}},
            {"id": "three", "type": "http_request", "config": {"url": f"{base}/three"},
             "retry": {"max_attempts": 1}},
            {"id": "never", "type": "http_request", "config": {"url": f"{base}/never"}},
            {"id": "sub", "type": "sub_workflow", "config": {"definition": {"name": "inner", "nodes": [
                {"id": "inner_x", "type": "transform", "config": {"output": 1}}], "edges": []}}},
        ],
        "edges": [{"from": "one", "to": "two"}, {"from": "two", "to": "three"},
                  {"from": "one", "to": "never", "when": "{{ false }}"},
                  {"from": "one", "to": "sub", "when": "{{ false }}"}],
    }


async def test_reset_to_before_the_failed_node(api, app, make_user, client, server):
    _, headers = await make_user()
    server.status["/three"] = 400  # the last node fails (not retryable)
    wf = await api.post("/api/v1/workflows", json=definition(server.base), headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {}},
                             headers=headers)
    assert started.status_code == 202, started.text
    eid = started.json()["id"]
    source = await wait_finished(api, eid, headers)
    assert source["status"] == "failed", source
    assert source["nodes"]["three"]["state"] == "failed"
    assert source["nodes"]["never"]["state"] == "skipped"
    assert server.hits == {"/one": 1, "/two": 1, "/three": 1}
    old_run = source["temporal_run_id"]

    # refusals: another user, an unknown node, a skipped node, a node inside a sub-workflow
    _, stranger = await make_user()
    hidden = await api.post(f"/api/v1/executions/{eid}/reset", json={"node_id": "three"}, headers=stranger)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    unknown = await api.post(f"/api/v1/executions/{eid}/reset", json={"node_id": "nope"}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_node"
    skipped = await api.post(f"/api/v1/executions/{eid}/reset", json={"node_id": "never"}, headers=headers)
    assert skipped.status_code == 409 and skipped.json()["error"]["code"] == "node_not_started"
    inner = await api.post(f"/api/v1/executions/{eid}/reset", json={"node_id": "inner_x"}, headers=headers)
    assert inner.status_code == 409 and inner.json()["error"]["code"] == "in_sub_workflow"
    read_only = (await make_user("read"))[1]
    assert (await api.post(f"/api/v1/executions/{eid}/reset", json={"node_id": "three"},
                           headers=read_only)).status_code == 403
    assert server.hits == {"/one": 1, "/two": 1, "/three": 1}  # no refusal touched anything

    # fix the server, reset to before the failed node
    server.status["/three"] = 200
    server.delay["/three"] = 2.0  # the new run stays running a while
    reset = await api.post(f"/api/v1/executions/{eid}/reset", headers=headers,
                           json={"node_id": "three", "reason": "the server is fixed"})
    assert reset.status_code == 202, reset.text
    body = reset.json()
    new_run = body["temporal_run_id"]
    assert new_run and new_run != old_run and body["previous_run_id"] == old_run
    assert body["ui_url"].endswith(f"/{new_run}/history")
    assert body["status"] == "running"
    row = (await api.get(f"/api/v1/executions/{eid}", headers=headers)).json()
    assert row["status"] == "running" and row["temporal_run_id"] == new_run and row["finished_at"] is None
    # the old run closed (failed) recently: the reconciler's sweep must leave
    # the row, which follows the new run, alone
    await reconciler.sweep_closed(app.state.agentic.sessions, client, since=datetime.now(UTC) - timedelta(minutes=5))
    row = (await api.get(f"/api/v1/executions/{eid}", headers=headers)).json()
    assert row["status"] == "running" and row["temporal_run_id"] == new_run

    final = await wait_finished(api, eid, headers)
    assert final["status"] == "succeeded", final
    assert final["temporal_run_id"] == new_run and final["error"] is None
    assert final["nodes"]["three"]["state"] == "succeeded"
    assert final["nodes"]["three"]["output"]["body"]["n"] == 2
    # upstream results are the original run's, and those nodes did not run again
    assert final["nodes"]["one"]["output"] == source["nodes"]["one"]["output"]
    assert final["nodes"]["two"]["output"] == source["nodes"]["two"]["output"]
    assert server.hits == {"/one": 1, "/two": 1, "/three": 2}

    # Temporal: the new run completed (the row is recorded just before the run closes)
    result = await client.get_workflow_handle(final["temporal_workflow_id"], run_id=new_run).result()
    assert result["status"] == "succeeded"
    desc = await client.get_workflow_handle(final["temporal_workflow_id"], run_id=new_run).describe()
    assert desc.status.name == "COMPLETED"
