"""Issue 10.11: what the Temporal Web UI shows of a run, checked through
Temporal's own APIs: the owner's user name as a search attribute (visibility
query), rerun lineage in the memo and the summary (describe), and a failed
run's failure carrying our code and message, not a stack trace (history)."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.api.enums.v1 import EventType

from .helpers import wait_finished
from .test_schedules import make_workflow

pytestmark = pytest.mark.integration


async def listed_ids(client, query: str, expected: set[str], timeout_s: float = 20) -> set[str]:
    """Visibility is eventually consistent: poll until `expected` shows (or give up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = {w.id async for w in client.list_workflows(query)}
        if expected <= found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def start(api, headers, wf_id: str, inputs: dict) -> dict:
    response = await api.post(f"/api/v1/workflows/{wf_id}/executions", headers=headers, json={"inputs": inputs})
    assert response.status_code == 202, response.text
    return response.json()


async def test_runs_are_found_by_their_owner_s_user_name(api, client, make_user):
    alice, alice_h = await make_user()
    bob, bob_h = await make_user()
    mine = await start(api, alice_h, (await make_workflow(api, alice_h))["id"], {"who": "a"})
    theirs = await start(api, bob_h, (await make_workflow(api, bob_h))["id"], {"who": "b"})
    ids = {mine["temporal_workflow_id"]}
    found = await listed_ids(client, f'AgenticOwnerName = "{alice}"', ids)
    assert found == ids  # bob's run is not among them
    assert await listed_ids(client, f'AgenticOwnerName = "{bob}"', {theirs["temporal_workflow_id"]}) \
        == {theirs["temporal_workflow_id"]}
    await wait_finished(api, mine["id"], alice_h)
    await wait_finished(api, theirs["id"], bob_h)


async def test_a_rerun_shows_its_source_in_memo_and_summary(api, client, make_user):
    name, headers = await make_user()
    wf = await make_workflow(api, headers)
    source = await start(api, headers, wf["id"], {"who": "src"})
    await wait_finished(api, source["id"], headers)
    rerun = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                           json={"from_node": "shout", "definition": "original"})
    assert rerun.status_code == 202, rerun.text
    accepted = rerun.json()
    await wait_finished(api, accepted["id"], headers)

    desc = await client.get_workflow_handle(accepted["temporal_workflow_id"]).describe()
    memo = await desc.memo()
    assert memo["source_execution_id"] == source["id"]
    assert (memo["trigger"], memo["started_by"], memo["execution_id"]) == ("rerun", name, accepted["id"])
    assert f"rerun of {source['id']}" in (await desc.static_summary())
    # The source itself is no rerun.
    first = await client.get_workflow_handle(source["temporal_workflow_id"]).describe()
    assert "source_execution_id" not in await first.memo() and (await first.memo())["trigger"] == "api"
    assert "rerun of" not in (await first.static_summary())


async def test_a_failed_run_fails_with_our_code_and_message(api, client, make_user):
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", headers=headers, json={
        "name": "fails", "nodes": [{"id": "bad", "type": "transform",
                                    "config": {"output": "{{ inputs.missing.deeper }}"}}],
        "edges": []})).json()
    started = await start(api, headers, wf["id"], {})
    row = await wait_finished(api, started["id"], headers)
    assert row["status"] == "failed"

    history = await client.get_workflow_handle(started["temporal_workflow_id"]).fetch_history()
    closing = history.events[-1]
    assert closing.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    failure = closing.workflow_execution_failed_event_attributes.failure
    info = failure.application_failure_info
    assert (info.type, failure.message) == (row["error"]["code"], row["error"]["message"])
    assert info.type == "expression_error" and failure.message.startswith("node 'bad' failed:")
    assert info.non_retryable
    assert failure.stack_trace == ""  # no SDK frames in the Web UI
    error, summary = await client.data_converter.decode(list(info.details.payloads))  # decrypted by the codec
    assert error == row["error"]
    assert summary["status"] == "failed" and summary["nodes"]["bad"]["state"] == "failed"
