"""Pure nodes (transform, condition) run as local activities: no task-queue
hop, but still one history event each (a MarkerRecorded with the node's
result or failure), which the debugger's history readers understand. A plan
compiled before (`local` unset) still dispatches every node to the queue."""

from __future__ import annotations

from temporalio.client import WorkflowFailureError

import pytest

from api.debugger.events import EventStream
from api.debugger.history import fetch, local_activity, name, rendered_configs
from core.launch import start_graph
from tests.integration.graphs import graph, node, start
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.registry import REGISTRY

PURE = graph(
    [node("a", "transform", {"output": {"n": "{{ inputs.n + 1 }}"}}),
     node("check", "condition", {"expression": "{{ nodes.a.output.n > 1 }}"}),
     node("big", "transform", {"output": "{{ nodes.a.output.n * 10 }}"})],
    [("a", "check"), ("check", "big", "{{ nodes.check.output.result }}")],
)


def scheduled_nodes(events) -> list[str]:
    return [e.activity_task_scheduled_event_attributes.activity_id for e in events
            if name(e) == "ActivityTaskScheduled"
            and e.activity_task_scheduled_event_attributes.activity_type.name.startswith("node.")]


async def test_pure_nodes_run_as_local_activities_recorded_in_history(client, task_queue, worker):
    handle = await start(client, task_queue, PURE, {"n": 4})
    result = await handle.result()
    assert result.status == "succeeded"
    assert result.nodes["a"].output == {"n": 5} and result.nodes["big"].output == 50
    assert result.nodes["check"].output == {"result": True, "value": True}
    assert all(n.attempts == 1 and n.started_at and n.finished_at for n in result.nodes.values())

    events = (await fetch(client, handle.id)).events
    assert scheduled_nodes(events) == []  # no dispatch hop
    markers = [m for m in map(local_activity, events) if m is not None]
    assert [(m.node_id, m.activity_type, m.attempt) for m in markers] == [
        ("a", "node.transform", 1), ("check", "node.condition", 1), ("big", "node.transform", 1)]
    assert markers[2].result["output"] == 50

    # the debugger's readers: live events and rendered configs from the markers
    stream = EventStream()
    seen = [item for e in events for item in stream.feed(e)]
    assert [(i["type"], i.get("node_id")) for i in seen if i["type"].startswith("node_")] == [
        ("node_started", "a"), ("node_finished", "a"), ("node_started", "check"),
        ("node_finished", "check"), ("node_started", "big"), ("node_finished", "big")]
    assert all(i["run_ms"] >= 0 for i in seen if i["type"] == "node_finished")
    assert rendered_configs(await fetch(client, handle.id))["big"] == {"output": 50}


async def test_a_failing_pure_node_is_recorded_with_its_error(client, task_queue, worker):
    definition = graph([node("a", "transform", {"output": 1}),
                        node("bad", "transform", {"output": "{{ 1 // inputs.zero }}"})], [("a", "bad")])
    handle = await start(client, task_queue, definition, {"zero": 0})
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    summary = summary_of(caught.value.cause)
    assert summary["nodes"]["bad"]["state"] == "failed"
    assert summary["nodes"]["bad"]["error"]["code"] == "expression_error"
    assert summary["nodes"]["bad"]["attempts"] == 1  # not retryable: one attempt
    events = (await fetch(client, handle.id)).events
    failed = [m for m in map(local_activity, events) if m is not None and m.failure is not None]
    assert [m.node_id for m in failed] == ["bad"]
    stream = EventStream()
    items = [item for e in events for item in stream.feed(e)]
    node_failed = [i for i in items if i["type"] == "node_failed"]
    assert [(i["node_id"], i["error"]["code"]) for i in node_failed] == [("bad", "expression_error")]


async def test_a_plan_compiled_before_still_dispatches_its_pure_nodes(client, task_queue, worker):
    """A running execution's plan is fixed at its start: one without `local`
    (compiled before this change) keeps its nodes on the task queue."""
    plan = compile_definition(PURE, REGISTRY)
    for planned in plan.nodes:
        planned.local = False
    handle = await start_graph(client, plan, {"n": 4}, task_queue=task_queue)
    result = await handle.result()
    assert result.status == "succeeded" and result.nodes["big"].output == 50
    events = (await fetch(client, handle.id)).events
    assert scheduled_nodes(events) == ["a", "check", "big"]
    assert not any(local_activity(e) for e in events)
