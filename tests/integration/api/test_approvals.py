"""Approvals through the API against the real stack: decisions are the
workflow's validated `decide` update, waits are durable timers, the approvals
table mirrors the workflow for listing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from activities.approvals import ApprovalNotifier
from core.db.models import Approval, AuditLog
from core.settings import Settings
from worker.app import build_worker
from workflows.approvals import ApprovalChanged, ApprovalState, Decision, Refusal
from workflows.compiler import compile_definition
from workflows.plan import GraphResult
from workflows.registry import REGISTRY

from tests.integration.graphs import command, launch

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .helpers import wait_finished

BASE = "/api/v1/enterprise/approvals"


def approval_graph(approvers: list[str], *, branch: bool = False, **config) -> dict:
    """prep -> gate (approval) -> ship when approved / stop when not."""
    gate = {"id": "gate", "type": "approval",
            "config": {"approvers": approvers, "instructions": "Ship {{ nodes.prep.output.what }}?", **config}}
    edges = [{"from": "prep", "to": "gate", **({"when": "{{ inputs.risky }}"} if branch else {})},
             {"from": "gate", "to": "ship", "when": "{{ nodes.gate.output.approved }}"},
             {"from": "gate", "to": "stop", "when": "{{ not nodes.gate.output.approved }}"}]
    return {
        "name": "release",
        "inputs": {"type": "object", "properties": {"risky": {"type": "boolean"}}},
        "nodes": [
            {"id": "prep", "type": "transform", "config": {"output": {"what": "v1.2"}}},
            gate,
            {"id": "ship", "type": "transform", "config": {"output": "shipped"}},
            {"id": "stop", "type": "transform", "config": {"output": "stopped"}},
        ],
        "edges": edges,
    }


async def create(api, headers, definition) -> str:
    response = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def start(api, headers, definition, inputs=None) -> str:
    wf = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": inputs or {}},
                             headers=headers)
    assert started.status_code == 202, started.text
    return started.json()["id"]


async def wait_pending(api, headers, approval_id: str, timeout_s: float = 20) -> dict:
    """Until the approval shows in the user's pending list (the mirror)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await api.get(f"{BASE}/pending", headers=headers)
        assert response.status_code == 200, response.text
        for item in response.json():
            if item["approval_id"] == approval_id:
                return item
        await asyncio.sleep(0.1)
    raise AssertionError(f"{approval_id} never became pending for this user")


async def wait_approval(api, headers, approval_id: str, predicate, timeout_s: float = 20) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await api.get(f"{BASE}/{approval_id}", headers=headers)
        if response.status_code == 200 and predicate(response.json()):
            return response.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"{approval_id}: condition never held ({response.status_code} {response.text})")


async def decide(api, headers, approval_id: str, how: str = "approve", comment: str = "") -> httpx.Response:
    return await api.post(f"{BASE}/{approval_id}/{how}", json={"comment": comment}, headers=headers)


async def test_quorum_two_of_three(api, app, make_user):
    _, owner = await make_user()
    names, heads = zip(*[await make_user() for _ in range(3)], strict=True)
    eid = await start(api, owner, approval_graph([f"user:{n}" for n in names], quorum=2))
    aid = f"{eid}:gate"

    item = await wait_pending(api, heads[0], aid)
    assert item["instructions"] == "Ship v1.2?"
    assert item["context"]["nodes"]["prep"]["output"] == {"what": "v1.2"}
    assert item["quorum"] == 2 and item["status"] == "pending" and item["workflow_name"] == "release"
    progress = (await api.get(f"/api/v1/executions/{eid}", headers=owner)).json()
    assert progress["nodes"]["gate"]["state"] == "waiting"
    # still `running` (the row's state machine has no other word), and it says what it waits on
    assert progress["status"] == "running" and progress["live"]
    assert progress["waiting_for"] == [{"approval_id": aid, "node_id": "gate", "link": item["link"]}]
    unfinished = await api.get(f"/api/v1/executions/{eid}/result", headers=owner)
    assert unfinished.status_code == 409 and aid in unfinished.json()["error"]["message"]
    assert unfinished.json()["error"]["details"] == progress["waiting_for"]
    # one approval read the same way everywhere: its workflow named, its times in UTC with Z
    read = (await api.get(f"{BASE}/{aid}", headers=heads[0])).json()
    assert read["workflow_name"] == "release" and read["live"] and read["requested_at"].endswith("Z")

    first = await decide(api, heads[0], aid, comment="looks good")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending" and [v["user"] for v in first.json()["votes"]] == [names[0]]
    assert first.json()["workflow_name"] == "release" and first.json()["votes"][0]["at"].endswith("Z")
    again = await decide(api, heads[0], aid)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_vote"
    second = await decide(api, heads[1], aid, comment="ok")
    assert second.status_code == 200 and second.json()["status"] == "approved"
    late = await decide(api, heads[2], aid)
    assert late.status_code == 409 and late.json()["error"]["code"] == "approval_closed"

    final = await wait_finished(api, eid, owner)
    assert final["status"] == "succeeded" and final["waiting_for"] == []
    assert final["nodes"]["ship"]["state"] == "succeeded" and final["nodes"]["stop"]["state"] == "skipped"
    output = final["nodes"]["gate"]["output"]
    assert output["approved"] and output["decided_by"] == [names[0], names[1]]
    assert {"user": names[0], "comment": "looks good"} in output["comments"]

    got = await wait_approval(api, heads[2], aid, lambda a: a["status"] == "approved")
    assert [v["user"] for v in got["votes"]] == [names[0], names[1]]
    assert aid not in [a["approval_id"] for a in (await api.get(f"{BASE}/pending", headers=heads[2])).json()]
    async with app.state.agentic.sessions() as session:
        row = await session.get(Approval, aid)
        assert row.status == "approved" and row.decided_at is not None
        audit = (await session.execute(select(AuditLog.actor_name, AuditLog.outcome, AuditLog.resource_id).where(
            AuditLog.action == "POST /api/v1/enterprise/approvals/{approval_id}/approve",
            AuditLog.resource_id == aid))).all()
    assert sorted((a, o) for a, o, _ in audit) == sorted(
        [(names[0], "success"), (names[0], "error"), (names[1], "success"), (names[2], "error")])


async def test_rejection_takes_the_other_branch(api, make_user):
    _, owner = await make_user()
    name, head = await make_user()
    eid = await start(api, owner, approval_graph([name]))
    await wait_pending(api, head, f"{eid}:gate")
    rejected = await decide(api, head, f"{eid}:gate", "reject", "not now")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    final = await wait_finished(api, eid, owner)
    assert final["status"] == "succeeded"
    assert final["nodes"]["stop"]["state"] == "succeeded" and final["nodes"]["ship"]["state"] == "skipped"
    assert final["nodes"]["gate"]["output"]["approved"] is False


async def test_self_approval_refused_unless_allowed(api, make_user):
    owner_name, owner = await make_user()
    other_name, other = await make_user()
    eid = await start(api, owner, approval_graph([f"user:{owner_name}", f"user:{other_name}"]))
    aid = f"{eid}:gate"
    await wait_pending(api, other, aid)
    # The starter is an approver, but never waits on their own run.
    assert aid not in [a["approval_id"] for a in (await api.get(f"{BASE}/pending", headers=owner)).json()]
    refused = await decide(api, owner, aid)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "self_approval_refused"
    assert "started the execution" in refused.json()["error"]["message"]
    assert (await decide(api, other, aid)).json()["status"] == "approved"

    allowed = await start(api, owner, approval_graph([f"user:{owner_name}"], allow_self_approval=True))
    await wait_pending(api, owner, f"{allowed}:gate")
    assert (await decide(api, owner, f"{allowed}:gate")).json()["status"] == "approved"
    assert (await wait_finished(api, allowed, owner))["nodes"]["ship"]["state"] == "succeeded"


async def test_unauthorized_user_refused_by_the_validator(api, client, make_user, admin_headers):
    _, owner = await make_user()
    name, approver = await make_user()
    stranger_name, stranger = await make_user()
    eid = await start(api, owner, approval_graph([f"user:{name}"]))
    aid = f"{eid}:gate"
    await wait_pending(api, approver, aid)
    # An admin sees the approval but is no approver: the workflow's validator says no.
    admin_try = await decide(api, admin_headers, aid)
    assert admin_try.status_code == 403 and admin_try.json()["error"]["code"] == "not_an_approver"
    # A stranger does not even learn it exists.
    assert (await decide(api, stranger, aid)).status_code == 404
    assert (await api.get(f"{BASE}/{aid}", headers=stranger)).status_code == 404
    assert (await api.get(f"{BASE}/pending", headers=stranger)).json() == []
    # Straight at Temporal: the update is rejected before it enters history.
    handle = client.get_workflow_handle(f"exec-{eid}")
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update("decide", command(Decision(approval_id=aid, user=stranger_name, decision="approve"),
                                                            "decision", handle.id),
                                    result_type=ApprovalState)
    assert "is not an approver" in str(caught.value.cause)
    assert caught.value.cause.type == Refusal.NOT_AN_APPROVER  # the code the API maps
    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await handle.execute_update("decide", command(Decision(approval_id=f"{eid}:nope", user=name, decision="approve"),
                                                            "decision", handle.id),
                                    result_type=ApprovalState)
    assert "no approval" in str(unknown.value.cause)
    assert unknown.value.cause.type == Refusal.NOT_FOUND
    history = [e async for e in handle.fetch_history_events()]
    assert not any(e.HasField("workflow_execution_update_accepted_event_attributes") for e in history)
    assert (await decide(api, approver, aid)).status_code == 200


@pytest.mark.parametrize(("on_timeout", "node", "status"), [
    ("approve", "ship", "succeeded"), ("reject", "stop", "succeeded"), ("fail", None, "failed"),
])
async def test_timeout_paths(api, make_user, on_timeout, node, status):
    _, owner = await make_user()
    name, approver = await make_user()
    eid = await start(api, owner, approval_graph([name], timeout_s=1, on_timeout=on_timeout))
    final = await wait_finished(api, eid, owner, timeout_s=30)
    assert final["status"] == status, final
    gate = final["nodes"]["gate"]
    if node:
        assert final["nodes"][node]["state"] == "succeeded"
        assert gate["output"]["decision"] == f"timeout:{on_timeout}"
    else:
        assert gate["state"] == "failed" and gate["error"]["code"] == "approval_timeout"
    late = await decide(api, approver, f"{eid}:gate")
    assert late.status_code == 409 and late.json()["error"]["code"] == "approval_closed"
    got = (await api.get(f"{BASE}/{eid}:gate", headers=approver)).json()
    assert got["status"] == "timed_out" and not got["live"]


async def test_timeout_escalates_then_the_new_approver_decides(api, make_user):
    _, owner = await make_user()
    first_name, first = await make_user()
    boss_name, boss = await make_user()
    eid = await start(api, owner, approval_graph([first_name], timeout_s=1, on_timeout="escalate",
                                                  escalate_to=[f"user:{boss_name}"]))
    aid = f"{eid}:gate"
    assert (await wait_pending(api, first, aid))["escalations"] == 0
    early = await decide(api, boss, aid)
    assert early.status_code == 404  # not (yet) an approver: not visible either
    item = await wait_pending(api, boss, aid)
    assert item["escalations"] == 1 and f"user:{boss_name}" in item["approvers"]
    assert (await decide(api, boss, aid)).json()["status"] == "approved"
    assert (await wait_finished(api, eid, owner))["nodes"]["ship"]["state"] == "succeeded"


async def test_escalation_ladder_adds_approvers_after_its_delay(api, make_user):
    _, owner = await make_user()
    first_name, first = await make_user()
    second_name, second = await make_user()
    eid = await start(api, owner, approval_graph(
        [first_name], escalation=[{"after_s": 1, "add_approvers": [f"user:{second_name}"]}]))
    aid = f"{eid}:gate"
    await wait_pending(api, first, aid)
    assert aid not in [a["approval_id"] for a in (await api.get(f"{BASE}/pending", headers=second)).json()]
    started = time.monotonic()
    await wait_pending(api, second, aid)
    assert time.monotonic() - started < 10
    done = await decide(api, second, aid, comment="covering")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert (await wait_finished(api, eid, owner))["nodes"]["ship"]["state"] == "succeeded"


async def test_approval_inside_a_branch_is_reached_only_when_the_branch_runs(api, app, make_user):
    _, owner = await make_user()
    name, head = await make_user()
    definition = approval_graph([name], branch=True)
    skipped = await start(api, owner, definition, {"risky": False})
    final = await wait_finished(api, skipped, owner)
    assert final["nodes"]["gate"]["state"] == "skipped"
    async with app.state.agentic.sessions() as session:
        assert await session.get(Approval, f"{skipped}:gate") is None

    taken = await start(api, owner, definition, {"risky": True})
    await wait_pending(api, head, f"{taken}:gate")
    await decide(api, head, f"{taken}:gate")
    assert (await wait_finished(api, taken, owner))["nodes"]["ship"]["state"] == "succeeded"


async def test_gate_before_an_execution(api, make_user):
    _, owner = await make_user()
    name, head = await make_user()
    wf = await api.post("/api/v1/workflows", headers=owner, json={
        "name": "gated", "nodes": [{"id": "run", "type": "transform", "config": {"output": "{{ inputs.x }}"}}],
        "edges": []})
    wid = wf.json()["id"]
    gate = {"approvers": [f"user:{name}"], "instructions": "Run it with x?"}
    response = await api.post(f"{BASE}/workflows/{wid}/request", headers=owner,
                              json={"inputs": {"x": 7}, "approval": gate})
    assert response.status_code == 202, response.text
    accepted = response.json()
    eid, aid = accepted["id"], accepted["approval_id"]
    assert aid == f"{eid}:__gate__" and accepted["status"] == "running"
    assert accepted["link"].endswith(f"/api/v1/enterprise/approvals/{aid}")

    item = await wait_pending(api, head, aid)
    assert item["instructions"] == "Run it with x?" and item["context"] == {"inputs": {"x": 7}}
    live = (await api.get(f"/api/v1/executions/{eid}", headers=owner)).json()
    assert live["status"] == "running" and live["nodes"]["run"]["state"] == "pending"
    assert live["waiting_for"] == [{"approval_id": aid, "node_id": "__gate__", "link": accepted["link"]}]
    await asyncio.sleep(0.5)  # nothing runs while it waits
    assert (await api.get(f"/api/v1/executions/{eid}", headers=owner)).json()["nodes"]["run"]["state"] == "pending"

    assert (await decide(api, head, aid, comment="go")).json()["status"] == "approved"
    final = await wait_finished(api, eid, owner)
    assert final["status"] == "succeeded" and final["nodes"]["run"]["output"] == 7

    # Rejected: nothing runs and the execution fails with the reason.
    rejected = (await api.post(f"{BASE}/workflows/{wid}/request", headers=owner,
                               json={"inputs": {"x": 1}, "approval": gate})).json()
    await wait_pending(api, head, rejected["approval_id"])
    await decide(api, head, rejected["approval_id"], "reject")
    final = await wait_finished(api, rejected["id"], owner)
    assert final["status"] == "failed" and final["error"]["code"] == "gate_rejected"
    assert final["nodes"]["run"]["state"] in ("pending", "cancelled", "skipped")

    bad = await api.post(f"{BASE}/workflows/{wid}/request", headers=owner,
                         json={"approval": {"approvers": [], "quorum": 1}})
    assert bad.status_code == 422
    assert any(d["path"].startswith("$.body.approval") for d in bad.json()["error"]["details"])


async def test_worker_restart_while_waiting(api, client, app, api_settings, make_user, admin_headers):
    """The wait is workflow state in Temporal: a new worker picks it up and the
    approval then completes the execution."""
    name, head = await make_user()
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    plan = compile_definition(approval_graph([name]), REGISTRY)
    eid = f"restart-{uuid.uuid4().hex[:12]}"
    aid = f"{eid}:gate"

    async def worker():
        w = build_worker(client, api_settings, task_queue=queue)
        await w.__aenter__()
        return w

    first = await worker()
    handle = await client.start_workflow("GraphWorkflow", launch(plan=plan, execution_id=eid, record=True),
                                         id=f"exec-{eid}", task_queue=queue, result_type=GraphResult)
    await wait_pending(api, head, aid)
    await first.__aexit__(None, None, None)
    # No worker: the approval waits in Temporal. A new worker replays and carries on.
    second = await worker()
    try:
        approved = await decide(api, head, aid, comment="after restart")
        assert approved.status_code == 200, approved.text
        result = await asyncio.wait_for(handle.result(), 30)
        assert result.status == "succeeded" and result.nodes["ship"].output == "shipped"
        final = await wait_finished(api, eid, admin_headers)
        assert final["nodes"]["gate"]["output"]["decided_by"] == [name]
    finally:
        await second.__aexit__(None, None, None)


async def test_approvers_see_only_what_waits_on_them(api, make_user):
    _, owner = await make_user()
    a_name, a = await make_user()
    b_name, b = await make_user()
    first = await start(api, owner, approval_graph([a_name]))
    second = await start(api, owner, approval_graph([b_name]))
    await wait_pending(api, a, f"{first}:gate")
    await wait_pending(api, b, f"{second}:gate")
    assert [x["approval_id"] for x in (await api.get(f"{BASE}/pending", headers=a)).json()] == [f"{first}:gate"]
    assert [x["approval_id"] for x in (await api.get(f"{BASE}/pending", headers=b)).json()] == [f"{second}:gate"]
    assert (await api.get(f"{BASE}/{second}:gate", headers=a)).status_code == 404
    assert (await api.get(f"{BASE}/{first}:gate", headers=a)).status_code == 200
    # The execution's owner reads both (but is no approver).
    assert (await api.get(f"{BASE}/{second}:gate", headers=owner)).status_code == 200
    for eid, head in ((first, a), (second, b)):
        await decide(api, head, f"{eid}:gate", "reject")


def webhook_change() -> ApprovalChanged:
    state = ApprovalState(approval_id="e1:gate", execution_id="e1", node_id="gate", approvers=["bob"], quorum=1,
                          requested_at="2030-01-01T00:00:00+00:00")
    return ApprovalChanged(event="requested", state=state, workflow_id="exec-e1", run_id="r")


async def test_webhook_gets_the_link_through_the_guarded_client(server):
    url = server.route("/hooks/approvals", (204, {}, b""))
    settings = Settings(approval_webhook_url=url, public_api_url="https://p.example/", outbound_allow_loopback=True)
    await ApprovalNotifier(settings).changed(webhook_change())
    (hit,) = server.hits("/hooks/approvals")
    body = json.loads(hit.body)
    assert body["event"] == "requested"
    assert body["link"] == "https://p.example/api/v1/enterprise/approvals/e1:gate"


async def test_a_failing_webhook_is_swallowed_and_its_url_not_logged(server, caplog):
    url = server.route("/hooks/T0KEN-in-path", (500, {}, "broken"))
    settings = Settings(approval_webhook_url=url, outbound_allow_loopback=True)
    await ApprovalNotifier(settings).changed(webhook_change())  # no exception
    assert len(server.hits("/hooks/T0KEN-in-path")) == 1
    assert "answered 500" in caplog.text
    assert "T0KEN" not in caplog.text


async def test_a_webhook_to_the_inside_is_refused_like_any_request(server, caplog):
    """The operator's URL gets no exemption: an internal receiver must be
    opened in AGENTIC_OUTBOUND_ALLOW (docs/operations.md)."""
    url = server.route("/hooks/inside", (204, {}, b""))
    await ApprovalNotifier(Settings(approval_webhook_url=url)).changed(webhook_change())
    assert f"127.0.0.1:{server.port} is not allowed: a loopback address" in caplog.text
    # the platform's own endpoints stay refused even with loopback allowed
    pretend_api = Settings(approval_webhook_url=url, public_api_url=server.url("/"), outbound_allow_loopback=True)
    await ApprovalNotifier(pretend_api).changed(webhook_change())
    assert "one of the platform's own endpoints (the API)" in caplog.text
    assert server.hits("/hooks/inside") == []
    opened = Settings(approval_webhook_url=url, outbound_allow=["127.0.0.1"])
    await ApprovalNotifier(opened).changed(webhook_change())
    assert len(server.hits("/hooks/inside")) == 1


async def test_approval_inside_a_sub_workflow(api, make_user):
    """Listed and decided like any other; it belongs to the top execution (its
    owner sees it) while the decision goes to the child workflow."""
    _, owner = await make_user()
    name, head = await make_user()
    inner = {"name": "inner", "nodes": [
        {"id": "ok", "type": "approval", "config": {"approvers": [name], "instructions": "inner?"}}], "edges": []}
    outer = {"name": "outer", "nodes": [
        {"id": "sub", "type": "sub_workflow", "config": {"definition": inner}},
        {"id": "after", "type": "transform", "config": {"output": "{{ nodes.sub.output }}"}}],
        "edges": [{"from": "sub", "to": "after"}]}
    eid = await start(api, owner, outer)
    aid = f"{eid}.sub:ok"
    item = await wait_pending(api, head, aid)
    assert item["execution_id"] == f"{eid}.sub" and item["instructions"] == "inner?"
    assert (await api.get(f"{BASE}/{aid}", headers=owner)).status_code == 200
    assert (await decide(api, head, aid)).json()["status"] == "approved"
    final = await wait_finished(api, eid, owner)
    assert final["status"] == "succeeded", final


async def test_result_of_an_execution_awaiting_approval_is_409(api, make_user):
    name, approver = await make_user()
    _, owner = await make_user()
    wid = await create(api, owner, {"name": "g", "nodes": [{"id": "x", "type": "transform", "config": {"output": 1}}]})
    accepted = await api.post(f"{BASE}/workflows/{wid}/request", headers=owner,
                              json={"approval": {"approvers": [f"user:{name}"]}})
    assert accepted.status_code == 202, accepted.text
    result = await api.get(f"/api/v1/executions/{accepted.json()['id']}/result", headers=owner)
    assert result.status_code == 409
    assert result.json()["error"]["code"] == "not_finished"
    assert "waiting for approval" in result.json()["error"]["message"]


@pytest.mark.parametrize("definition_config, path_part", [
    ({"approvers": ["a"], "timeout_s": 1e15, "on_timeout": "reject"}, "timeout_s"),
    ({"approvers": ["a"], "escalation": [{"after_s": 1e12, "add_approvers": ["b"]}]}, "after_s"),
])
async def test_approval_waits_are_bounded_at_save(api, make_user, definition_config, path_part):
    _, owner = await make_user()
    response = await api.post("/api/v1/workflows", headers=owner, json={
        "name": "a", "nodes": [{"id": "ok", "type": "approval", "config": definition_config}]})
    assert response.status_code == 422
    assert any(path_part in d["path"] for d in response.json()["error"]["details"])
