"""Expression limits through the real interpreter and worker (issue 8, item 6):
a transform whose template amplifies past the size cap, one that loops past the
step budget, and an edge condition evaluated in workflow code all fail with
`expression_limit`, once (not retried), and the worker goes on serving."""

from __future__ import annotations

from tests.integration.graphs import failed_summary, graph, node, run

REPLACE_BYPASS = "{{ (('x'*1000000)|replace('x','x'*50))|length }}"  # gave 50,000,000 before
NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


async def test_a_transform_over_a_limit_fails_with_expression_limit(client, task_queue, worker):
    summary = await failed_summary(client, task_queue, graph([node("t", "transform", {"output": REPLACE_BYPASS})]))
    error = summary["nodes"]["t"]["error"]
    assert error["code"] == "expression_limit"
    assert "the replace filter's result is over the limit of 1000000 characters or items" in error["message"]
    assert summary["nodes"]["t"]["attempts"] == 1

    looping = await failed_summary(client, task_queue, graph([node("t", "transform", {"output": NESTED_LOOPS})]))
    assert looping["nodes"]["t"]["error"]["code"] == "expression_limit"
    assert "over the limit of 100000 steps" in looping["nodes"]["t"]["error"]["message"]

    after = await run(client, task_queue, graph([node("ok", "transform", {"output": "{{ inputs.n + 1 }}"})]), {"n": 1})
    assert after.nodes["ok"].output == 2


async def test_an_edge_condition_over_a_limit_fails_the_target(client, task_queue, worker):
    definition = graph([node("a", "transform", {"output": 1}), node("b", "transform", {"output": 2})],
                       [("a", "b", "(('x'*1000000)|replace('x','x'*50))|length > 0")])
    summary = await failed_summary(client, task_queue, definition)
    error = summary["nodes"]["b"]["error"]
    assert error["code"] == "expression_limit"
    assert error["message"].startswith("edge condition: the replace filter's result is over the limit")
