"""Sequential chains, fan-out/fan-in and branches through the real interpreter."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import WorkflowFailureError

from tests.integration.graphs import graph, node, run
from workflows.failures import summary_of


async def test_sequential_chain_passes_outputs(client, task_queue, worker):
    definition = graph(
        [node("a", "transform", {"output": {"n": "{{ inputs.n }}"}}),
         node("b", "transform", {"output": "{{ nodes.a.output.n * 2 }}"}),
         node("c", "transform", {"output": "total={{ nodes.b.output + 1 }}"})],
        [("a", "b"), ("b", "c")],
    )
    result = await run(client, task_queue, definition, {"n": 20})
    assert result.status == "succeeded"
    assert result.nodes["a"].output == {"n": 20}
    assert result.nodes["b"].output == 40
    assert result.nodes["c"].output == "total=41"
    assert all(n.state == "succeeded" and n.attempts == 1 for n in result.nodes.values())


async def test_fan_out_runs_in_parallel(client, task_queue, worker):
    sleepers = [node(f"s{i}", "shell", {"argv": ["sleep", "1"]}) for i in range(3)]
    definition = graph(
        [node("start", "transform", {"output": 1}), *sleepers,
         node("join", "transform", {"output": "{{ [nodes.s0.status, nodes.s1.status, nodes.s2.status] }}"})],
        [("start", f"s{i}") for i in range(3)] + [(f"s{i}", "join") for i in range(3)],
    )
    began = time.monotonic()
    result = await run(client, task_queue, definition)
    elapsed = time.monotonic() - began
    assert result.nodes["join"].output == ["succeeded"] * 3
    assert elapsed < 2.5, f"three 1-second nodes took {elapsed:.2f}s: not parallel"


async def test_condition_skips_branch_not_taken(client, task_queue, worker):
    definition = graph(
        [node("check", "condition", {"expression": "{{ inputs.amount > 100 }}"}),
         node("big", "transform", {"output": "big"}),
         node("small", "transform", {"output": "small"}),
         node("after_small", "transform", {"output": "after"}),
         node("merge", "transform", {"output": "merged"})],
        [("check", "big", "{{ nodes.check.output.result }}"),
         ("check", "small", "not nodes.check.output.result"),
         ("small", "after_small"), ("big", "merge"), ("after_small", "merge")],
    )
    result = await run(client, task_queue, definition, {"amount": 500})
    states = {nid: n.state for nid, n in result.nodes.items()}
    assert states == {"check": "succeeded", "big": "succeeded", "small": "skipped",
                      "after_small": "skipped", "merge": "succeeded"}


async def test_failure_reports_node_and_summary(client, task_queue, worker):
    definition = graph([node("bad", "transform", {"output": "{{ inputs.missing.deeper }}"})])
    with pytest.raises(WorkflowFailureError) as caught:
        await run(client, task_queue, definition, {})
    cause = caught.value.cause
    # Our code and message (workflows/failures.py), the structured error, then the summary.
    assert (cause.type, cause.message, cause.non_retryable) == ("expression_error", cause.details[0]["message"], True)
    assert cause.details[0]["node"] == "bad" and cause.details[0]["code"] == "expression_error"
    summary = summary_of(cause)
    assert summary["status"] == "failed"
    assert summary["nodes"]["bad"]["error"]["code"] == "expression_error"
    assert summary["nodes"]["bad"]["attempts"] == 1


async def test_a_retried_start_after_completion_finds_the_same_run(client, task_queue, worker):
    """Issue 10.13: what the reconciler does after a crash between the start and
    the row's update: the execution finished meanwhile; starting it again must
    return that run, never run it a second time."""
    from core.launch import Launch, start
    from workflows.compiler import compile_definition
    from workflows.registry import REGISTRY

    plan = compile_definition(graph([node("only", "transform", {"output": 1})]), REGISTRY)
    again = Launch(execution_id=f"retry-{task_queue}", plan=plan, record=False)
    first = await start(client, again, task_queue)
    assert (await first.result()).status == "succeeded"
    second = await start(client, again, task_queue)
    assert second.run_id == first.result_run_id
    deadline = time.monotonic() + 10
    while True:  # visibility lags a little behind the start
        runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{again.workflow_id}'")]
        if runs or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert len(runs) == 1
