"""Temporal reset of the same execution to the point before a node: a 3-node
run whose last node failed is fixed on the server side and reset to before
that node; the new run succeeds, the upstream nodes did not run again (the
server's counter), and the execution row follows the new run. Refusals:
another user's execution (404), an unknown node (422), a skipped node or one
inside a sub-workflow (409). Reset points of every node type, found without
the display summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api import reconciler
from api.debugger.history import decode, fetch, name, summary
from api.routes.reset import reset_point
from workflows.approvals import ApprovalChanged

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


def every_kind(base: str) -> dict:
    """one (http) -> wait (delay) -> ok (approval, approved by its timeout) -> sub -> last (http)."""
    return {
        "name": "reset any node",
        "nodes": [
            {"id": "one", "type": "http_request", "config": {"url": f"{base}/one"}},
            {"id": "wait", "type": "delay", "config": {"seconds": 0.1}},
            {"id": "ok", "type": "approval", "config": {"approvers": ["role:admin"], "timeout_s": 0.5,
                                                        "on_timeout": "approve"}},
            {"id": "sub", "type": "sub_workflow", "config": {"definition": {"name": "inner", "nodes": [
                {"id": "inner_x", "type": "transform", "config": {"output": 1}}], "edges": []}}},
            {"id": "last", "type": "http_request", "config": {"url": f"{base}/last"}},
        ],
        "edges": [{"from": "one", "to": "wait"}, {"from": "wait", "to": "ok"}, {"from": "ok", "to": "sub"},
                  {"from": "sub", "to": "last"}],
    }


def scheduled_by(events, workflow_id: str) -> dict[str, int]:
    """The WorkflowTaskCompleted whose commands started each node, read from
    the events' structured fields (what a reset to before the node names)."""
    found: dict[str, int] = {}
    for event in events:
        kind = name(event)
        if kind == "ActivityTaskScheduled":
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "approval_changed":
                change = ApprovalChanged.model_validate(decode(attrs.input))
                if change.event == "requested":
                    found.setdefault(change.state.node_id, attrs.workflow_task_completed_event_id)
            elif attrs.activity_type.name.startswith("node."):
                found.setdefault(attrs.activity_id, attrs.workflow_task_completed_event_id)
        elif kind == "TimerStarted":  # the delay's sleep comes before the approval's deadline
            found.setdefault("wait", event.timer_started_event_attributes.workflow_task_completed_event_id)
        elif kind == "StartChildWorkflowExecutionInitiated":
            attrs = event.start_child_workflow_execution_initiated_event_attributes
            found.setdefault(attrs.workflow_id.removeprefix(f"{workflow_id}."), attrs.workflow_task_completed_event_id)
    return found


async def test_reset_points_of_every_node_kind_without_summaries(api, make_user, client, server):
    """Reset points come from the workflow's `node_starts` query and the
    history's workflow tasks, never from display summaries: with every summary
    removed from the history each node type still resets to the task that
    started it, and a reset to before the delay runs the rest again."""
    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", json=every_kind(server.base), headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {}},
                             headers=headers)
    assert started.status_code == 202, started.text
    source = await wait_finished(api, started.json()["id"], headers)
    assert source["status"] == "succeeded", source
    handle = client.get_workflow_handle(source["temporal_workflow_id"], run_id=source["temporal_run_id"])
    # Decoded (payloads are encrypted in Temporal): what the API's reset reads too.
    events = list((await fetch(client, source["temporal_workflow_id"], source["temporal_run_id"])).events)
    for event in events:
        event.ClearField("user_metadata")
    assert not any(summary(e) for e in events)
    starts = await handle.query("node_starts", result_type=dict[str, int])
    expected = scheduled_by(events, handle.id)
    assert set(starts) == set(expected) == {"one", "wait", "ok", "sub", "last"}
    assert {nid: reset_point(events, started_in) for nid, started_in in starts.items()} == expected

    reset = await api.post(f"/api/v1/executions/{source['id']}/reset", json={"node_id": "wait"}, headers=headers)
    assert reset.status_code == 202, reset.text
    assert reset.json()["reset_event_id"] == expected["wait"]
    final = await wait_finished(api, source["id"], headers)
    assert final["status"] == "succeeded" and final["temporal_run_id"] == reset.json()["temporal_run_id"]
    assert server.hits == {"/one": 1, "/last": 2}  # upstream kept, the rest ran again


async def test_concurrent_resets_are_one_at_a_time(api, make_user, client):
    """Issue 10.5d: five resets at once gave five 202s and five runs (four
    terminated by the later resets); now one resets and the others get 409."""
    import asyncio

    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", headers=headers, json={"name": "twice", "nodes": [
        {"id": "one", "type": "transform", "config": {"output": 1}},
        {"id": "two", "type": "delay", "config": {"seconds": 0.2}}],
        "edges": [{"from": "one", "to": "two"}]})
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {}},
                             headers=headers)
    eid = started.json()["id"]
    source = await wait_finished(api, eid, headers)
    assert source["status"] == "succeeded"
    answers = await asyncio.gather(*(api.post(f"/api/v1/executions/{eid}/reset", headers=headers,
                                              json={"node_id": "two"}) for _ in range(5)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [202, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"reset_in_progress"}
    final = await wait_finished(api, eid, headers)
    assert final["status"] == "succeeded"
    query = f"WorkflowId = '{final['temporal_workflow_id']}'"
    for _ in range(100):  # visibility lags a little behind the reset
        runs = [w async for w in client.list_workflows(query)]
        if len(runs) >= 2:
            break
        await asyncio.sleep(0.1)
    assert len(runs) == 2  # the original and the one reset, no more


async def test_reset_to_before_a_pure_node(api, make_user, client, server):
    """A pure node runs as a local activity in the workflow task that reached
    it: a reset to before it goes back to that task, so the http node that
    finished in an earlier task keeps its result and the rest runs again."""
    _, headers = await make_user()
    server.status["/last"] = 400  # fails first (not retryable)
    wf = await api.post("/api/v1/workflows", headers=headers, json={"name": "reset pure", "nodes": [
        {"id": "one", "type": "http_request", "config": {"url": f"{server.base}/one"}},
        {"id": "shape", "type": "transform", "config": {"output": {"n": "{{ nodes.one.output.body.n }}"}}},
        {"id": "last", "type": "http_request", "config": {"url": f"{server.base}/last"}, "retry": {"max_attempts": 1}}],
        "edges": [{"from": "one", "to": "shape"}, {"from": "shape", "to": "last"}]})
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {}},
                             headers=headers)
    source = await wait_finished(api, started.json()["id"], headers)
    assert source["status"] == "failed" and source["nodes"]["shape"]["state"] == "succeeded"
    history = await client.get_workflow_handle(source["temporal_workflow_id"],
                                               run_id=source["temporal_run_id"]).fetch_history()
    assert any(name(e) == "MarkerRecorded" for e in history.events)  # shape ran as a local activity

    server.status["/last"] = 200
    reset = await api.post(f"/api/v1/executions/{source['id']}/reset", json={"node_id": "shape"}, headers=headers)
    assert reset.status_code == 202, reset.text
    final = await wait_finished(api, source["id"], headers)
    assert final["status"] == "succeeded" and final["temporal_run_id"] == reset.json()["temporal_run_id"]
    assert final["nodes"]["shape"]["output"] == source["nodes"]["shape"]["output"]
    assert final["nodes"]["one"]["output"] == source["nodes"]["one"]["output"]
    assert server.hits == {"/one": 1, "/last": 2}
