"""for_each: one node config per item, in batches of child workflows, results
in input order, the two failure policies, the item limit, and a batch child
that refuses to run unless a for_each started it."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowFailureError

from tests.integration.graphs import failed_summary, graph, node, run
from tests.integration.local_server import server  # noqa: F401 - the fixture
from workflows.for_each import BATCH_WORKFLOW, ForEachBatch

ONE_ATTEMPT = {"max_attempts": 1}


def for_each(items, item_node: dict, **config) -> dict:
    return node("each", "for_each", {"items": items, "node": item_node, **config})


async def test_results_come_in_input_order_across_batches(client, task_queue, worker):
    definition = graph([
        node("make", "transform", {"output": "{{ range(10) | list }}"}),
        for_each("{{ nodes.make.output }}", {"type": "transform", "config": {"output": {
            "double": "{{ item * 2 }}", "at": "{{ index }}", "run": "{{ inputs.tag }}"}}},
            concurrency=3, batch_size=4),
    ], [("make", "each")])
    result = await run(client, task_queue, definition, {"tag": "t1"})
    output = result.nodes["each"].output
    assert output["results"] == [{"double": 2 * i, "at": i, "run": "t1"} for i in range(10)]
    assert (output["count"], output["succeeded"], output["failed"], output["errors"]) == (10, 10, 0, [])


async def test_continue_collects_the_failures(client, task_queue, worker, server):
    server.route("/ok", (200, {}, {"ok": True}))
    server.route("/bad", (404, {}, "missing"))
    definition = graph([for_each(["ok", "bad", "ok", "bad"], {
        "type": "http_request", "config": {"url": server.url("/") + "{{ item }}"}, "retry": ONE_ATTEMPT},
        on_item_error="continue")])
    result = await run(client, task_queue, definition)
    output = result.nodes["each"].output
    assert [r and r["status"] for r in output["results"]] == [200, None, 200, None]
    assert [(e["index"], e["code"]) for e in output["errors"]] == [(1, "http_status"), (3, "http_status")]
    assert (output["succeeded"], output["failed"]) == (2, 2)


async def test_fail_fast_stops_at_the_first_failed_item(client, task_queue, worker, server):
    path = f"/ff-{uuid.uuid4().hex[:6]}"
    server.route(path, (200, {}, {}))
    server.route(path + "-bad", (500, {}, "boom"))
    items = ["", "-bad", "", "", "", ""]
    definition = graph([for_each(items, {"type": "http_request", "config": {"url": server.url(path) + "{{ item }}"},
                                         "retry": ONE_ATTEMPT}, concurrency=1, batch_size=2)])
    summary = await failed_summary(client, task_queue, definition)
    error = summary["nodes"]["each"]["error"]
    assert error["code"] == "item_failed"
    assert error["message"].startswith("item 1 failed: http_status_retryable: ")
    assert len(server.hits(path)) == 1  # item 0 ran; after item 1 failed, nothing else started


async def test_the_item_limit_is_hard(client, task_queue, worker):
    definition = graph([for_each("{{ range(6) | list }}", {"type": "transform", "config": {"output": "{{ item }}"}},
                                 max_items=5)])
    summary = await failed_summary(client, task_queue, definition)
    assert summary["nodes"]["each"]["error"] == {"code": "too_many_items", "message": "6 items, over max_items=5"}


async def test_items_must_be_a_list(client, task_queue, worker):
    definition = graph([for_each("{{ inputs.not_a_list }}", {"type": "transform", "config": {"output": 1}})])
    summary = await failed_summary(client, task_queue, definition, {"not_a_list": {"a": 1}})
    assert summary["nodes"]["each"]["error"] == {"code": "invalid_items", "message": "items must give a list, not dict"}


async def test_a_batch_started_straight_through_temporal_is_refused(client, task_queue, worker):
    batch = ForEachBatch(execution_id="x", node_id="each", item_type="transform", item_config={"output": 1},
                         max_attempts=1, timeout_s=10, items=[1], offset=0, concurrency=1, fail_fast=True,
                         owner_id="someone-else")
    handle = await client.start_workflow(BATCH_WORKFLOW, batch, id=f"forged-{uuid.uuid4().hex[:8]}",
                                         task_queue=task_queue)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert caught.value.cause.type == "unsigned_launch"
