"""Retries, failure propagation, continue_on_error, cancellation, sub-workflows,
size caps and the live progress query, through the real interpreter."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from tests.integration.graphs import graph, node, run, start
from workflows.failures import summary_of
from workflows.plan import GraphResult


def counter_shell(path, fail_times: int) -> list[str]:
    """A shell node that fails until it has run `fail_times` times (counted in a file)."""
    script = (f'n=$(cat {path} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {path}; '
              f'[ $n -gt {fail_times} ]')
    return ["sh", "-c", script]


FAST_RETRY = {"max_attempts": 4, "initial_interval_s": 0.1, "backoff": 1.0}


async def failure_summary(coro) -> dict:
    with pytest.raises(WorkflowFailureError) as caught:
        await coro
    summary = summary_of(caught.value.cause)
    assert summary is not None, caught.value.cause
    return summary


async def test_retries_then_success(client, task_queue, worker, tmp_path):
    count = tmp_path / "count"
    definition = graph([node("flaky", "shell", {"argv": counter_shell(count, 2)}, retry=FAST_RETRY)])
    result = await run(client, task_queue, definition)
    assert result.nodes["flaky"].state == "succeeded"
    assert result.nodes["flaky"].attempts == 3
    assert count.read_text().strip() == "3"


async def test_failure_after_retries_reports_attempts(client, task_queue, worker, tmp_path):
    count = tmp_path / "count"
    definition = graph([node("flaky", "shell", {"argv": counter_shell(count, 99)}, retry=FAST_RETRY),
                        node("after", "transform", {"output": 1})], [("flaky", "after")])
    summary = await failure_summary(run(client, task_queue, definition))
    assert summary["nodes"]["flaky"]["state"] == "failed"
    assert summary["nodes"]["flaky"]["attempts"] == 4
    assert summary["nodes"]["flaky"]["error"]["code"] == "shell_exit_code"
    assert summary["nodes"]["after"]["state"] == "cancelled"
    assert summary["error"]["node"] == "flaky"
    assert count.read_text().strip() == "4"


async def test_failed_node_cancels_running_sibling(client, task_queue, worker, tmp_path):
    marker = tmp_path / "finished"
    definition = graph([
        node("slow", "shell", {"argv": ["sh", "-c", f"sleep 20; touch {marker}"]}),
        node("bad", "shell", {"argv": ["sh", "-c", "sleep 0.5; exit 3"]}),
    ])
    began = time.monotonic()
    summary = await failure_summary(run(client, task_queue, definition))
    assert time.monotonic() - began < 10
    assert summary["nodes"]["bad"]["state"] == "failed"
    assert summary["nodes"]["slow"]["state"] == "cancelled"
    await asyncio.sleep(3)  # the heartbeat delivers the cancel; the process group is killed
    assert not marker.exists()


async def test_continue_on_error_lets_the_graph_go_on(client, task_queue, worker):
    definition = graph([
        node("bad", "shell", {"argv": ["false"]}, continue_on_error=True),
        node("next", "transform", {"output": {"upstream": "{{ nodes.bad.status }}",
                                              "code": "{{ nodes.bad.error.code }}"}}),
    ], [("bad", "next")])
    result = await run(client, task_queue, definition)
    assert result.status == "succeeded"
    assert result.nodes["bad"].state == "failed"
    assert result.nodes["next"].output == {"upstream": "failed", "code": "shell_exit_code"}


async def test_sub_workflow_returns_child_outputs(client, task_queue, worker):
    child = graph([node("double", "transform", {"output": "{{ inputs.n * 2 }}"})],
                  name="child", inputs={"type": "object", "required": ["n"]})
    definition = graph([
        node("seed", "transform", {"output": 21}),
        node("call", "sub_workflow", {"definition": child, "inputs": {"n": "{{ nodes.seed.output }}"}}),
        node("use", "transform", {"output": "{{ nodes.call.output.outputs.double }}"}),
    ], [("seed", "call"), ("call", "use")])
    handle = await start(client, task_queue, definition)
    result = await handle.result()
    assert result.nodes["call"].output == {"status": "succeeded", "outputs": {"double": 42}}
    assert result.nodes["use"].output == 42
    child_handle = client.get_workflow_handle(f"{handle.id}.call")
    assert (await child_handle.describe()).status.name == "COMPLETED"


async def test_sub_workflow_input_validation_fails_the_node(client, task_queue, worker):
    child = graph([node("x", "transform", {"output": 1})], name="child",
                  inputs={"type": "object", "required": ["n"]})
    definition = graph([node("call", "sub_workflow", {"definition": child, "inputs": {}})])
    summary = await failure_summary(run(client, task_queue, definition))
    assert summary["nodes"]["call"]["error"]["code"] == "invalid_run_inputs"


async def test_output_over_cap_fails_the_node(client, task_queue, make_worker, settings):
    await make_worker(settings.model_copy(update={"node_output_cap_bytes": 1000}))
    definition = graph([node("big", "transform", {"output": "{{ 'x' * 5000 }}"})])
    summary = await failure_summary(run(client, task_queue, definition))
    assert summary["nodes"]["big"]["error"]["code"] == "output_too_large"
    assert summary["nodes"]["big"]["attempts"] == 1


async def test_edge_condition_error_fails_clearly(client, task_queue, worker):
    definition = graph([node("a", "transform", {"output": {}}), node("b", "transform", {"output": 1})],
                       [("a", "b", "{{ nodes.a.output.missing > 1 }}")])
    summary = await failure_summary(run(client, task_queue, definition))
    assert summary["nodes"]["b"]["error"]["code"] == "expression_error"
    assert "edge condition" in summary["nodes"]["b"]["error"]["message"]


async def test_progress_query_and_cancel(client, task_queue, worker):
    definition = graph([node("first", "transform", {"output": 1}),
                        node("wait", "delay", {"seconds": 60}),
                        node("never", "transform", {"output": 2})],
                       [("first", "wait"), ("wait", "never")])
    handle = await start(client, task_queue, definition)
    for _ in range(100):
        try:
            progress = await handle.query("progress", result_type=GraphResult)
        except RPCError:
            progress = None
        if progress and progress.nodes["wait"].state == "running":
            break
        await asyncio.sleep(0.05)
    assert progress.status == "running"
    assert progress.nodes["first"].state == "succeeded"
    assert progress.nodes["never"].state == "pending"
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await handle.query("progress", result_type=GraphResult)
    assert final.status == "cancelled"
    assert final.nodes["wait"].state == "cancelled"
    assert final.nodes["never"].state == "cancelled"
