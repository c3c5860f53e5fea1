"""Live breakpoints and reruns that reuse recorded results, in the interpreter."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError

from activities.registry import REGISTRY
from core.executions import start_graph
from tests.integration.graphs import graph, node
from workflows.compiler import compile_definition
from workflows.plan import DebugCommand, DebugOptions, GraphInput, GraphResult, NodeSummary


async def wait_for(handle, predicate, timeout=15.0) -> GraphResult:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            progress = await handle.query("progress", result_type=GraphResult)
            if predicate(progress):
                return progress
        except Exception:  # noqa: BLE001 - not yet picked up by a worker
            pass
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.05)


def chain(*ids):
    nodes = [node(ids[0], "transform", {"output": 1})]
    nodes += [node(b, "transform", {"output": f"{{{{ nodes.{a}.output + 1 }}}}"}) for a, b in zip(ids, ids[1:])]
    return graph(nodes, list(zip(ids, ids[1:])))


async def test_debug_update_refused_when_nothing_is_paused(client, task_queue, worker):
    plan = compile_definition(graph([node("wait", "delay", {"seconds": 30})]), REGISTRY)
    handle = await start_graph(client, plan, {}, task_queue=task_queue)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update("debug", DebugCommand(mode="continue"), result_type=GraphResult)
    assert "no node is paused" in str(caught.value.cause)
    await handle.cancel()


async def test_live_breakpoint_pauses_and_continue_resumes(client, task_queue, worker):
    plan = compile_definition(chain("a", "b", "c"), REGISTRY)
    handle = await client.start_workflow(
        "GraphWorkflow", GraphInput(plan=plan, execution_id="bp-" + task_queue,
                                    debug=DebugOptions(breakpoints=["b"])),
        id=f"exec-bp-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    paused = await wait_for(handle, lambda p: p.paused_at == ["b"])
    assert paused.nodes["a"].state == "succeeded"
    assert paused.nodes["b"].state == "paused"
    assert paused.nodes["c"].state == "pending"
    await asyncio.sleep(0.5)
    assert (await handle.query("progress", result_type=GraphResult)).nodes["b"].state == "paused"
    step = await handle.execute_update("debug", DebugCommand(mode="step"), result_type=GraphResult)
    assert step.paused_at == []
    stepped = await wait_for(handle, lambda p: p.paused_at == ["c"])
    assert stepped.nodes["b"].state == "succeeded" and stepped.nodes["b"].output == 2
    await handle.execute_update("debug", DebugCommand(mode="continue"), result_type=GraphResult)
    result = await handle.result()
    assert result.status == "succeeded" and result.nodes["c"].output == 3


async def test_reuse_settles_recorded_nodes_without_running(client, task_queue, worker, tmp_path):
    log = tmp_path / "ran"
    definition = graph([
        node("first", "shell", {"argv": ["sh", "-c", f"echo first >> {log}; echo -n 41"]}),
        node("second", "transform", {"output": "{{ nodes.first.output.stdout | int + 1 }}"}),
    ], [("first", "second")])
    plan = compile_definition(definition, REGISTRY)
    recorded = NodeSummary(state="succeeded", attempts=1, output={"stdout": "99", "exit_code": 0})
    result = await client.execute_workflow(
        "GraphWorkflow", GraphInput(plan=plan, execution_id="reuse-" + task_queue, reuse={"first": recorded},
                                    source_execution_id="src"),
        id=f"exec-reuse-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    assert not log.exists(), "a reused node ran again"
    assert result.nodes["first"].reused is True
    assert result.nodes["second"].output == 100
