"""Live breakpoints and reruns that reuse recorded results, in the interpreter."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError

from core.launch import start_graph
from tests.integration.graphs import debug_command, graph, launch, node
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.plan import DebugOptions, GraphResult, NodeSummary
from workflows.registry import REGISTRY
from workflows.reuse import input_digest


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
        await handle.execute_update("debug", debug_command(handle, "continue"), result_type=GraphResult)
    assert "no node is paused" in str(caught.value.cause)
    await handle.cancel()


async def test_live_breakpoint_pauses_and_continue_resumes(client, task_queue, worker):
    plan = compile_definition(chain("a", "b", "c"), REGISTRY)
    handle = await client.start_workflow(
        "GraphWorkflow", launch(plan=plan, execution_id="bp-" + task_queue,
                                    debug=DebugOptions(breakpoints=["b"])),
        id=f"exec-bp-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    paused = await wait_for(handle, lambda p: p.paused_at == ["b"])
    assert paused.nodes["a"].state == "succeeded"
    assert paused.nodes["b"].state == "paused"
    assert paused.nodes["c"].state == "pending"
    await asyncio.sleep(0.5)
    assert (await handle.query("progress", result_type=GraphResult)).nodes["b"].state == "paused"
    step = await handle.execute_update("debug", debug_command(handle, "step"), result_type=GraphResult)
    assert step.paused_at == []
    stepped = await wait_for(handle, lambda p: p.paused_at == ["c"])
    assert stepped.nodes["b"].state == "succeeded" and stepped.nodes["b"].output == 2
    await handle.execute_update("debug", debug_command(handle, "continue"), result_type=GraphResult)
    result = await handle.result()
    assert result.status == "succeeded" and result.nodes["c"].output == 3


async def test_reuse_settles_recorded_nodes_without_running(client, task_queue, worker, tmp_path):
    log = tmp_path / "ran"
    definition = graph([
        node("first", "shell", {"argv": ["sh", "-c", f"echo first >> {log}; echo -n 41"]}),
        node("second", "transform", {"output": "{{ nodes.first.output.stdout | int + 1 }}"}),
    ], [("first", "second")])
    plan = compile_definition(definition, REGISTRY)
    recorded = NodeSummary(state="succeeded", attempts=1, output={"stdout": "99", "exit_code": 0},
                           input_digest=input_digest(plan.nodes[0], {}, {}))
    result = await client.execute_workflow(
        "GraphWorkflow", launch(plan=plan, execution_id="reuse-" + task_queue, reuse={"first": recorded},
                                    source_execution_id="src"),
        id=f"exec-reuse-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    assert not log.exists(), "a reused node ran again"
    assert result.nodes["first"].reused is True
    assert result.nodes["second"].output == 100


async def test_step_releases_one_node_and_pauses_concurrent_ones(client, task_queue, worker):
    definition = graph([node("a", "transform", {"output": 1}), node("b", "transform", {"output": 2}),
                        node("c", "transform", {"output": 3})], [("a", "b"), ("a", "c")])
    plan = compile_definition(definition, REGISTRY)
    handle = await client.start_workflow(
        "GraphWorkflow", launch(plan=plan, execution_id="st-" + task_queue, debug=DebugOptions(breakpoints=["a"])),
        id=f"exec-st-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    await wait_for(handle, lambda p: p.paused_at == ["a"])
    await handle.execute_update("debug", debug_command(handle, "step"), result_type=GraphResult)
    both = await wait_for(handle, lambda p: p.paused_at == ["b", "c"])
    assert both.nodes["a"].state == "succeeded"
    await handle.execute_update("debug", debug_command(handle, "step"), result_type=GraphResult)
    one = await wait_for(handle, lambda p: p.nodes["b"].state == "succeeded")
    assert one.paused_at == ["c"] and one.nodes["c"].state == "paused"
    await handle.execute_update("debug", debug_command(handle, "continue"), result_type=GraphResult)
    assert (await handle.result()).nodes["c"].output == 3


async def test_recorded_skip_is_not_reused_when_the_branch_is_now_taken(client, task_queue, worker):
    definition = graph([node("a", "transform", {"output": 1}), node("x", "transform", {"output": "x"}),
                        node("y", "transform", {"output": "{{ nodes.x.output }}y"})],
                       [("a", "x", "{{ inputs.flag }}"), ("x", "y")])
    plan = compile_definition(definition, REGISTRY)
    reuse = {"a": NodeSummary(state="succeeded", attempts=1, output=1,
                              input_digest=input_digest(plan.nodes[0], {"flag": True}, {})),
             "x": NodeSummary(state="skipped")}
    result = await client.execute_workflow(
        "GraphWorkflow", launch(plan=plan, inputs={"flag": True}, execution_id="sk-" + task_queue, reuse=reuse),
        id=f"exec-sk-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    assert result.nodes["a"].reused and not result.nodes["x"].reused
    assert result.nodes["y"].output == "xy"


async def test_a_recorded_result_for_another_input_or_an_approval_is_not_reused(client, task_queue, worker):
    """Issue 8.8 in the interpreter (the API decides the same way first): a
    node whose input changed runs again, an approval is asked again, whatever
    the reuse map it is handed says."""
    definition = graph([
        node("amount", "transform", {"output": "{{ inputs.amount }}"}),
        node("ok", "approval", {"approvers": ["user:carol"]}),
        node("pay", "transform", {"output": "{{ nodes.amount.output }}"}),
    ], [("amount", "ok"), ("ok", "pay")])
    plan = compile_definition(definition, REGISTRY)
    approved = {"approved": True, "decision": "approved", "decided_by": ["carol"]}
    reuse = {"amount": NodeSummary(state="succeeded", output=1, input_digest=input_digest(plan.nodes[0], {"amount": 1}, {})),
             "ok": NodeSummary(state="succeeded", output=approved)}
    handle = await client.start_workflow(
        "GraphWorkflow", launch(plan=plan, inputs={"amount": 1000000}, execution_id="ap-" + task_queue, reuse=reuse),
        id=f"exec-ap-{task_queue}", task_queue=task_queue, result_type=GraphResult)
    waiting = await wait_for(handle, lambda p: p.nodes["ok"].state == "waiting")
    assert waiting.nodes["amount"].reused is False and waiting.nodes["amount"].output == 1000000
    assert waiting.nodes["ok"].reused is False and waiting.nodes["pay"].state == "pending"
    await handle.cancel()


@pytest.mark.parametrize("seconds", ["nan", "1e400", "1e15", "-1"])
async def test_bad_delay_fails_the_node_clearly(client, task_queue, worker, seconds):
    from tests.integration.graphs import run
    from temporalio.client import WorkflowFailureError
    definition = graph([node("d", "delay", {"seconds": "{{ inputs.s | float }}"}), node("t", "transform", {"output": 1})],
                       [("d", "t")])
    with pytest.raises(WorkflowFailureError) as caught:
        await asyncio.wait_for(run(client, task_queue, definition, {"s": seconds}), 30)
    summary = summary_of(caught.value.cause)
    assert summary["nodes"]["d"]["state"] == "failed"
    assert summary["nodes"]["d"]["error"]["code"] == "invalid_config"
    assert summary["nodes"]["t"]["state"] == "cancelled"


async def test_cancelled_execution_closes_its_pending_approval(client, task_queue, worker):
    definition = graph([node("ok", "approval", {"approvers": ["alice"]})])
    plan = compile_definition(definition, REGISTRY)
    handle = await start_graph(client, plan, {}, task_queue=task_queue)
    await wait_for(handle, lambda p: p.nodes["ok"].state == "waiting")
    await handle.cancel()
    with pytest.raises(Exception):
        await handle.result()
    approvals = await handle.query("approvals")
    assert [a["status"] for a in approvals] == ["cancelled"]
