"""Issue 8.4: someone who reaches Temporal directly (gRPC frontend, or the Web
UI's HTTP API) can neither forge an approval decision or a debug command nor
inject a run: the interpreter accepts only what the API signed, and the record
activity writes only the row of its own Temporal execution."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from tests.integration.graphs import command, launch
from workflows import signatures
from workflows.approvals import ApprovalState, Decision
from workflows.compiler import compile_definition
from workflows.plan import DebugCommand, GraphInput, GraphResult
from workflows.registry import REGISTRY

from .helpers import wait_finished
from .test_approvals import approval_graph, decide, start, wait_pending

pytestmark = pytest.mark.integration


def accepted_updates(history) -> int:
    return sum(e.HasField("workflow_execution_update_accepted_event_attributes") for e in history)


async def test_forged_decision_straight_to_temporal_is_refused(api, make_user, client):
    """The attack: carol claims role:admin in an unsigned decision to approve
    her own run. Also refused: a decision the API signed for another workflow,
    and one signed too long ago."""
    owner_name, owner = await make_user()
    approver_name, approver = await make_user()
    eid = await start(api, owner, approval_graph([f"user:{approver_name}"]))
    aid = f"{eid}:gate"
    await wait_pending(api, approver, aid)
    handle = client.get_workflow_handle(f"exec-{eid}")
    forged = Decision(approval_id=aid, user=owner_name, principals=[f"user:{owner_name}", "role:admin"],
                      decision="approve")
    for attempt in (
        forged,                                                            # no signature at all
        forged.model_copy(update={"signature": "v1:" + "0" * 64}),         # a made-up one
        command(forged, "decision", "exec-some-other-run"),                # signed for another workflow
        signatures.signed(forged.model_copy(update={                       # signed an hour ago
            "issued_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}),
            "decision", workflow_id=handle.id),
        command(forged, "debug", handle.id),                               # signed as another kind
    ):
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await handle.execute_update("decide", attempt, result_type=ApprovalState)
        assert "not sent through the platform's API" in str(caught.value.cause)
    history = [e async for e in handle.fetch_history_events()]
    assert accepted_updates(history) == 0
    # The real approver, through the API, still decides.
    assert (await decide(api, approver, aid)).status_code == 200


async def test_forged_debug_command_is_refused(api, make_user, client):
    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", headers=headers, json={
        "name": "paused", "nodes": [{"id": "a", "type": "transform", "config": {"output": 1}}], "edges": []})
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", headers=headers,
                             json={"inputs": {}, "debug": {"breakpoints": ["a"]}})
    assert started.status_code == 202, started.text
    handle = client.get_workflow_handle(started.json()["temporal_workflow_id"])
    for _ in range(100):
        if (await handle.query("progress", result_type=GraphResult)).paused_at == ["a"]:
            break
        await asyncio.sleep(0.1)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update("debug", DebugCommand(mode="continue"), result_type=GraphResult)
    assert "not sent through the platform's API" in str(caught.value.cause)
    assert (await handle.query("progress", result_type=GraphResult)).paused_at == ["a"]
    await handle.cancel()


async def test_unsigned_plan_with_a_shell_node_never_reaches_an_activity(client, api_settings, api_worker):
    plan = compile_definition({"name": "injected", "nodes": [
        {"id": "sh", "type": "shell", "config": {"argv": ["id"]}}], "edges": []}, REGISTRY)
    eid = uuid.uuid4().hex
    handle = await client.start_workflow(
        "GraphWorkflow", GraphInput(plan=plan, execution_id=eid, record=True, owner_id="someone"),
        id=f"exec-{eid}", task_queue=api_settings.temporal_task_queue, result_type=GraphResult)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert caught.value.cause.type == "unsigned_launch"
    history = [e async for e in handle.fetch_history_events()]
    assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in history)


async def test_a_run_cannot_overwrite_another_executions_row(api, make_user, client, api_settings, api_worker):
    """Even a signed launch (the CLI signs too) that names an existing execution
    id writes nothing to that row: the row belongs to its own Temporal execution."""
    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", headers=headers, json={
        "name": "victim", "nodes": [{"id": "a", "type": "transform", "config": {"output": "real"}}], "edges": []})
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", headers=headers, json={"inputs": {}})
    victim = started.json()["id"]
    before = await wait_finished(api, victim, headers)
    plan = compile_definition({"name": "forger", "nodes": [
        {"id": "a", "type": "transform", "config": {"output": "forged"}}], "edges": []}, REGISTRY)
    for launch_input in (GraphInput(plan=plan, execution_id=victim, record=True),
                         launch(plan=plan, execution_id=victim, record=True)):
        handle = await client.start_workflow(
            "GraphWorkflow", launch_input, id=f"forger-{uuid.uuid4().hex}",
            task_queue=api_settings.temporal_task_queue, result_type=GraphResult)
        try:
            await handle.result()
        except WorkflowFailureError:
            pass  # the unsigned one is refused outright
    after = (await api.get(f"/api/v1/executions/{victim}", headers=headers)).json()
    assert after["status"] == before["status"] == "succeeded"
    assert after["nodes"]["a"]["output"] == "real"
