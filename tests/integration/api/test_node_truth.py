"""What GET /executions/{id} and /result say about nodes is so: each node's
times are its activity's (parallel nodes do not share the time of the
workflow task that saw them finish), every node comes back in plan order with
an explicit state (a skipped node is not a null output), and every time ends
with `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.db.models import Execution

from .helpers import ScriptedServer, wait_finished

# Plan order differs from the order PostgreSQL's JSONB keeps keys in (by length, then bytes).
DELAYS = {"b_fast": 0.02, "cc_mid": 0.15, "d_slow": 0.35}
PLAN_ORDER = ["zzz_root", "b_fast", "cc_mid", "d_slow", "skip_me", "a"]


def fan_out(base: str) -> dict:
    http = [{"id": nid, "type": "http_request", "config": {"url": f"{base}/{nid}"}} for nid in DELAYS]
    return {
        "name": "fan out",
        "nodes": [{"id": "zzz_root", "type": "transform", "config": {"output": 1}}, *http,
                  {"id": "skip_me", "type": "transform", "config": {"output": "never"}},
                  {"id": "a", "type": "transform", "config": {"output": "{{ nodes.d_slow.output.status }}"}}],
        "edges": [*({"from": "zzz_root", "to": nid} for nid in DELAYS),
                  {"from": "zzz_root", "to": "skip_me", "when": "{{ false }}"},
                  *({"from": nid, "to": "a"} for nid in DELAYS)],
    }


@pytest.fixture
async def slow_server():
    async with ScriptedServer() as server:
        server.delay = {f"/{nid}": seconds for nid, seconds in DELAYS.items()}
        yield server


async def run(api, headers, definition) -> dict:
    wf = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={}, headers=headers)
    assert started.status_code == 202, started.text
    return await wait_finished(api, started.json()["id"], headers)


async def activity_windows(client, workflow_id: str) -> dict[str, tuple[datetime, datetime, datetime]]:
    """node id -> its activity's (scheduled, started, closed) event times: the
    last attempt ran between started and closed."""
    scheduled, started, windows = {}, {}, {}
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        kind = event.WhichOneof("attributes")
        when = event.event_time.ToDatetime().replace(tzinfo=UTC)
        if kind == "activity_task_scheduled_event_attributes":
            scheduled[event.event_id] = (event.activity_task_scheduled_event_attributes.activity_id, when)
        elif kind == "activity_task_started_event_attributes":
            started[event.activity_task_started_event_attributes.scheduled_event_id] = when
        elif kind in ("activity_task_completed_event_attributes", "activity_task_failed_event_attributes"):
            sid = getattr(event, kind).scheduled_event_id
            if sid in scheduled:
                nid, at = scheduled[sid]
                windows[nid] = (at, started[sid], when)
    return windows


def stamps(value, path="$"):
    """Every (path, value) of a key ending in `_at` (or `at`) in a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "at" or key.endswith("_at")) and isinstance(item, str):
                yield f"{path}.{key}", item
            else:
                yield from stamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from stamps(item, f"{path}[{i}]")


async def test_parallel_nodes_carry_their_own_run_times(api, client, make_user, slow_server):
    _, headers = await make_user()
    final = await run(api, headers, fan_out(slow_server.base))
    assert final["status"] == "succeeded", final
    windows = await activity_windows(client, final["temporal_workflow_id"])
    durations = []
    for nid in DELAYS:
        node = final["nodes"][nid]
        started, finished = datetime.fromisoformat(node["started_at"]), datetime.fromisoformat(node["finished_at"])
        # Inside its own activity's run, not the times of the workflow tasks
        # that scheduled it and then saw it finish.
        _, began, closed = windows[nid]
        assert began <= started <= finished <= closed, (nid, node, windows[nid])
        assert node["duration_ms"] == round((finished - started).total_seconds() * 1000, 3)
        assert node["attempts"] == 1
        durations.append(node["duration_ms"])
    assert len(set(durations)) == len(durations)


async def test_nodes_in_plan_order_with_explicit_states_and_utc_times(api, app, make_user, slow_server):
    _, headers = await make_user()
    final = await run(api, headers, fan_out(slow_server.base))
    assert not final["live"]  # read from the row, whose JSONB keeps no order
    assert list(final["nodes"]) == PLAN_ORDER
    assert final["nodes"]["skip_me"]["state"] == "skipped" and final["waiting_for"] == []

    result = (await api.get(f"/api/v1/executions/{final['id']}/result", headers=headers)).json()
    assert [(n["id"], n["state"]) for n in result["nodes"]] == [
        ("zzz_root", "succeeded"), ("b_fast", "succeeded"), ("cc_mid", "succeeded"), ("d_slow", "succeeded"),
        ("skip_me", "skipped"), ("a", "succeeded")]
    # a skipped node has no output (it is not a node whose output is null)
    assert list(result["outputs"]) == ["zzz_root", "b_fast", "cc_mid", "d_slow", "a"]
    assert result["outputs"]["a"] == 200

    found = list(stamps(final)) + list(stamps(result))
    assert len(found) > 10
    assert [(path, value) for path, value in found if not value.endswith("Z")] == []

    # A row the workflow wrote itself (a scheduled run) has no plan: its version gives the order.
    async with app.state.agentic.sessions() as session:
        row = await session.get(Execution, final["id"])
        row.plan = None
        await session.commit()
    again = (await api.get(f"/api/v1/executions/{final['id']}", headers=headers)).json()
    assert list(again["nodes"]) == PLAN_ORDER


async def test_a_retried_node_is_timed_from_its_first_attempt(api, client, make_user):
    async with ScriptedServer() as server:
        server.status = {"/flaky": 503}
        _, headers = await make_user()
        final = await run(api, headers, {"name": "retried", "nodes": [
            {"id": "flaky", "type": "http_request", "config": {"url": f"{server.base}/flaky"},
             "retry": {"max_attempts": 3, "initial_interval_s": 0.05, "backoff": 1.0}}]})
    assert final["status"] == "failed" and server.hits["/flaky"] == 3
    node = final["nodes"]["flaky"]
    scheduled, began, closed = (await activity_windows(client, final["temporal_workflow_id"]))["flaky"]
    # The failure carries the activity's times too: from when Temporal first
    # scheduled the node (its earlier attempts and backoff included) to the end of the last.
    assert node["attempts"] == 3 and node["state"] == "failed"
    assert datetime.fromisoformat(node["started_at"]) == scheduled
    assert began <= datetime.fromisoformat(node["finished_at"]) <= closed
