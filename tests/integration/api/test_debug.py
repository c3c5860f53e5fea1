"""Debug sessions over real history: replay lands on the failing node, variables
equal the recorded outputs, conditional breakpoints, stepping, performance
figures against the history's timestamps, no activity runs during replay; a
live breakpoint pauses a running execution and continue resumes it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.api.enums.v1 import EventType

from api.debugger.history import fetch, local_activity

from .graphs import three_nodes
from .helpers import ScriptedServer, wait_finished


class CountingServer(ScriptedServer):
    """A tiny HTTP server: counts requests per path (the side-effect counter);
    /fail/... answers 400 (a non-retryable node failure)."""

    def status_for(self, path: str) -> int:
        return 400 if path.startswith("/fail") else 200


@pytest.fixture
async def counter():
    async with CountingServer() as server:
        yield server


def pipeline(base: str) -> dict:
    """fetch (HTTP) -> double -> sub (a sub-workflow of two nodes) -> check (fails)."""
    return {
        "name": "pipeline",
        "inputs": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        "nodes": [
            {"id": "fetch", "type": "http_request", "config": {"url": f"{base}/fetch"}},
            {"id": "double", "type": "transform", "config": {"output": {"value": "{{ inputs.x * 2 }}"}}},
            {"id": "sub", "type": "sub_workflow", "config": {
                "inputs": {"v": "{{ nodes.double.output.value }}"},
                "definition": {"name": "inner", "nodes": [
                    {"id": "x", "type": "transform", "config": {"output": "{{ inputs.v + 1 }}"}},
                    {"id": "y", "type": "transform", "config": {"output": "{{ nodes.x.output * 10 }}"}}],
                    "edges": [{"from": "x", "to": "y"}]}}},
            {"id": "check", "type": "http_request", "config": {"url": f"{base}/fail/check"},
             "retry": {"max_attempts": 1}},
        ],
        "edges": [{"from": "fetch", "to": "double"}, {"from": "double", "to": "sub"}, {"from": "sub", "to": "check"}],
    }


async def run_to_end(api, headers, definition, inputs) -> tuple[dict, dict]:
    wf = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": inputs},
                             headers=headers)
    assert started.status_code == 202, started.text
    return wf.json(), await wait_finished(api, started.json()["id"], headers)


async def step(api, headers, sid, mode) -> dict:
    response = await api.post(f"/api/v1/debug/sessions/{sid}/step", json={"mode": mode}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_debug_sessions_need_more_than_read(api, make_user):
    _, reader = await make_user("read")
    response = await api.post("/api/v1/debug/sessions", json={"execution_id": "x" * 32}, headers=reader)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


async def test_failed_execution_replays_to_the_failing_node(api, make_user, counter, client):
    _, headers = await make_user()
    _, final = await run_to_end(api, headers, pipeline(counter.base), {"x": 4})
    assert final["status"] == "failed"
    hits_after_run = dict(counter.hits)
    assert hits_after_run == {"/fetch": 1, "/fail/check": 1}

    created = await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=headers)
    assert created.status_code == 201, created.text
    session = created.json()
    sid = session["id"]
    assert session["cursor"] == 0 and session["current"]["node_id"] == "fetch"
    assert session["current"]["kind"] == "enter"
    assert session["execution_status"] == "failed"
    assert "exec-" + final["id"] in session["replay"]["workflows"]
    kinds = [(b["node_id"], b["kind"], b["depth"]) for b in session["timeline"]]
    assert kinds == [("fetch", "enter", 0), ("fetch", "exit", 0), ("double", "enter", 0), ("double", "exit", 0),
                     ("sub", "enter", 0), ("x", "enter", 1), ("x", "exit", 1), ("y", "enter", 1),
                     ("y", "exit", 1), ("sub", "exit", 0), ("check", "enter", 0), ("check", "exit", 0)]
    # The resolved input of an activity node is the NodeCall it received.
    assert session["current"]["input"]["node_type"] == "http_request"
    assert session["current"]["input"]["config"]["url"].endswith("/fetch")

    # continue without breakpoints stops at the failure, with its error
    moved = await step(api, headers, sid, "continue")
    assert moved["reason"] == "error"
    assert moved["current"]["node_id"] == "check" and moved["current"]["state"] == "failed"
    assert moved["current"]["error"]["code"] == "http_status"
    assert moved["cursor"] == session["failure"] == 11

    # variables at the failing node: the inputs and every upstream result, as recorded
    variables = (await api.get(f"/api/v1/debug/sessions/{sid}/variables", headers=headers)).json()
    assert variables["node_id"] == "check"
    assert variables["variables"]["inputs"] == {"x": 4}
    recorded = final["nodes"]
    assert set(variables["variables"]["nodes"]) == {"fetch", "double", "sub"}
    for nid, value in variables["variables"]["nodes"].items():
        assert value["output"] == recorded[nid]["output"], nid
        assert value["status"] == recorded[nid]["state"] == "succeeded"
    assert variables["error"]["code"] == "http_status"

    # replaying (and replaying again) ran no activity
    refreshed = await api.post(f"/api/v1/debug/sessions/{sid}/refresh", headers=headers)
    assert refreshed.status_code == 200 and refreshed.json()["cursor"] == 11
    assert dict(counter.hits) == hits_after_run


async def test_stepping_and_conditional_breakpoints(api, make_user, counter, client):
    _, headers = await make_user()
    _, final = await run_to_end(api, headers, pipeline(counter.base), {"x": 4})
    sid = (await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=headers)).json()["id"]

    # next steps over the sub-workflow; into enters it; out leaves it; back goes one back
    assert (await step(api, headers, sid, "next"))["cursor"] == 1
    assert (await step(api, headers, sid, "back"))["cursor"] == 0
    for expected in (1, 2, 3, 4):
        assert (await step(api, headers, sid, "next"))["cursor"] == expected
    over = await step(api, headers, sid, "next")  # from sub's enter to sub's exit
    assert (over["cursor"], over["current"]["node_id"], over["current"]["kind"]) == (9, "sub", "exit")
    assert over["current"]["output"] == {"status": "succeeded", "outputs": {"x": 9, "y": 90}}
    assert (await step(api, headers, sid, "back"))["cursor"] == 8
    back_in = await step(api, headers, sid, "back")
    assert back_in["current"]["node_id"] == "y" and back_in["current"]["stack"][0]["node_id"] == "sub"
    out = await step(api, headers, sid, "out")
    assert (out["cursor"], out["current"]["node_id"]) == (9, "sub")
    refused = await api.post(f"/api/v1/debug/sessions/{sid}/step", json={"mode": "out"}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "cannot_step"
    for _ in range(4):
        await step(api, headers, sid, "back")
    at_sub = await step(api, headers, sid, "back")
    assert (at_sub["cursor"], at_sub["current"]["node_id"], at_sub["current"]["kind"]) == (4, "sub", "enter")
    into = await step(api, headers, sid, "into")
    assert (into["cursor"], into["current"]["node_id"], into["current"]["depth"]) == (5, "x", 1)
    variables = (await api.get(f"/api/v1/debug/sessions/{sid}/variables", headers=headers)).json()
    assert variables["variables"]["inputs"] == {"v": 8}  # the sub-workflow's own inputs
    assert variables["stack"] == [{"workflow_id": f"exec-{final['id']}", "node_id": "sub"}]

    # conditional breakpoints: only where the condition holds
    async def add(node_id, condition=None):
        response = await api.post(f"/api/v1/debug/sessions/{sid}/breakpoints", headers=headers,
                                  json={"node_id": node_id, "condition": condition})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    for _ in range(5):
        await step(api, headers, sid, "back")
    never = await add("double", "output.value > 100")  # double's value is 8
    on_exit = await add("fetch", "output.status == 200")  # false on enter (no output yet)
    hit = await step(api, headers, sid, "continue")
    assert (hit["reason"], hit["breakpoint_id"], hit["cursor"]) == ("breakpoint", on_exit, 1)
    inner = await add("y", "variables.nodes.x.output == 9 and input.node_id == 'y'")
    hit = await step(api, headers, sid, "continue")
    assert (hit["reason"], hit["breakpoint_id"], hit["current"]["node_id"], hit["cursor"]) == (
        "breakpoint", inner, "y", 7)
    hit = await step(api, headers, sid, "continue")  # y's exit also satisfies it
    assert (hit["breakpoint_id"], hit["cursor"]) == (inner, 8)
    hit = await step(api, headers, sid, "continue")
    assert hit["reason"] == "error" and hit["current"]["node_id"] == "check"
    assert never not in {hit["breakpoint_id"]}
    end = await step(api, headers, sid, "continue")
    assert end["reason"] == "end"

    # breakpoints are validated and removable
    bad = await api.post(f"/api/v1/debug/sessions/{sid}/breakpoints", headers=headers,
                         json={"node_id": "double", "condition": "{{ os.system('x') }}"})
    assert bad.status_code == 422
    unknown = await api.post(f"/api/v1/debug/sessions/{sid}/breakpoints", headers=headers, json={"node_id": "nope"})
    assert unknown.status_code == 422
    assert (await api.delete(f"/api/v1/debug/sessions/{sid}/breakpoints/{never}", headers=headers)).status_code == 204
    got = (await api.get(f"/api/v1/debug/sessions/{sid}", headers=headers)).json()
    assert {b["id"] for b in got["breakpoints"]} == {on_exit, inner}

    # another user sees nothing
    _, stranger = await make_user()
    assert (await api.get(f"/api/v1/debug/sessions/{sid}", headers=stranger)).status_code == 404
    denied = await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=stranger)
    assert denied.status_code == 404


def _t(event) -> datetime:
    return event.event_time.ToDatetime()


async def test_performance_matches_history(api, make_user, counter, client):
    _, headers = await make_user()
    _, final = await run_to_end(api, headers, pipeline(counter.base), {"x": 1})
    # The summary row is written by the workflow's last activity, a moment
    # before the execution closes; wait for the close so totals exist.
    try:
        await client.get_workflow_handle(final["temporal_workflow_id"]).result()
    except WorkflowFailureError:
        pass
    sid = (await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=headers)).json()["id"]
    perf = (await api.get(f"/api/v1/debug/sessions/{sid}/performance", headers=headers)).json()

    history = await fetch(client, final["temporal_workflow_id"])
    events = history.events
    by_id = {e.event_id: e for e in events}
    checked = set()
    for e in events:
        if e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED and \
                e.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            continue
        attrs = e.activity_task_completed_event_attributes if e.HasField(
            "activity_task_completed_event_attributes") else e.activity_task_failed_event_attributes
        scheduled = by_id[attrs.scheduled_event_id]
        node = scheduled.activity_task_scheduled_event_attributes.activity_id
        if not scheduled.activity_task_scheduled_event_attributes.activity_type.name.startswith("node."):
            continue
        started = by_id[attrs.started_event_id]
        fig = perf["nodes"][node]
        assert fig["queue_wait_ms"] == pytest.approx((_t(started) - _t(scheduled)).total_seconds() * 1000, abs=0.01)
        assert fig["run_ms"] == pytest.approx((_t(e) - _t(started)).total_seconds() * 1000, abs=0.01)
        assert fig["attempts"] == started.activity_task_started_event_attributes.attempt == 1
        checked.add(node)
    # a pure node ran as a local activity: its marker carries what it reported
    for e in events:
        local = local_activity(e)
        if local is None or not local.is_node:
            continue
        fig = perf["nodes"][local.node_id]
        ran = (datetime.fromisoformat(local.result["finished_at"])
               - datetime.fromisoformat(local.result["started_at"])).total_seconds() * 1000
        assert fig["kind"] == "local_activity" and fig["outcome"] == "completed"
        assert fig["queue_wait_ms"] == 0 and fig["run_ms"] == pytest.approx(ran, abs=0.01)
        assert fig["attempts"] == local.attempt == 1
        checked.add(local.node_id)
    assert checked == {"fetch", "double", "check"}
    sub = perf["nodes"]["sub"]
    assert sub["kind"] == "child" and sub["run_ms"] > 0
    assert perf["critical_path"] == ["fetch", "double", "sub", "check"]
    totals = perf["totals"]
    assert totals["wall_ms"] == pytest.approx((_t(events[-1]) - _t(events[0])).total_seconds() * 1000, abs=0.01)
    assert totals["history_events"] == len(events) and totals["closed"] == "failed"
    assert totals["run_ms"] == pytest.approx(sum(perf["nodes"][n]["run_ms"] for n in perf["nodes"]), abs=0.01)


async def _wait_paused(api, headers, eid, node, timeout_s=20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = (await api.get(f"/api/v1/executions/{eid}", headers=headers)).json()
        if body["live"] and body["nodes"][node]["state"] == "paused":
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{node} never paused: {body}")


async def test_live_breakpoint_pauses_and_continue_resumes(api, make_user):
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    bad = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                         json={"inputs": {"who": "x"}, "debug": {"breakpoints": ["nope"]}})
    assert bad.status_code == 422
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"who": "ada"}, "debug": {"breakpoints": ["shout"]}})
    assert started.status_code == 202, started.text
    eid = started.json()["id"]
    paused = await _wait_paused(api, headers, eid, "shout")
    assert paused["nodes"]["greet"]["state"] == "succeeded" and paused["nodes"]["done"]["state"] == "pending"
    await asyncio.sleep(0.3)  # held durably: nothing moves
    assert (await api.get(f"/api/v1/executions/{eid}", headers=headers)).json()["nodes"]["shout"]["state"] == "paused"

    session = (await api.post("/api/v1/debug/sessions", json={"execution_id": eid}, headers=headers)).json()
    assert session["paused_at"] == ["shout"] and session["execution_status"] == "running"
    assert session["timeline"][-1]["node_id"] == "shout" and session["timeline"][-1]["kind"] == "paused"
    # The replay of a running execution ends in an eviction that cancels every
    # node: none of that shows (api/debugger/recorder.py `evicted`).
    assert all(b["state"] != "cancelled" for b in session["timeline"])

    # step: resumes shout and pauses again before the next node (done)
    stepped = await step(api, headers, session["id"], "next")
    assert stepped["reason"] == "resumed" and stepped["live"]["paused_at"] == []
    await _wait_paused(api, headers, eid, "done")
    resumed = await step(api, headers, session["id"], "continue")
    assert resumed["reason"] == "resumed"
    final = await wait_finished(api, eid, headers)
    assert final["status"] == "succeeded"
    assert final["nodes"]["done"]["output"] == {"final": "HELLO ADA"}

    # the replay shows the pauses; nothing is paused any more
    refreshed = (await api.post(f"/api/v1/debug/sessions/{session['id']}/refresh", headers=headers)).json()
    assert [(b["node_id"], b["kind"]) for b in refreshed["timeline"] if b["kind"] == "paused"] == [
        ("shout", "paused"), ("done", "paused")]
    perf = (await api.get(f"/api/v1/debug/sessions/{session['id']}/performance", headers=headers)).json()
    assert perf["nodes"]["shout"]["paused_ms"] >= 300
