"""Issue 10.5b: a cancel racing an execution's completion must leave the row
saying what Temporal closed the run with (before the fix, a cancel arriving
while the final record ran closed the run CANCELED after its row said
succeeded or failed)."""

from __future__ import annotations

import asyncio

import pytest

from api.reconciler import closed_status

from .helpers import wait_finished

pytestmark = pytest.mark.integration
RUNS = 30


@pytest.mark.parametrize("output", ["{{ 1 }}", "{{ 1 / 0 }}"], ids=["succeeding", "failing"])
async def test_cancel_racing_completion_leaves_the_true_final_status(api, make_user, client, output):
    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", headers=headers, json={
        "name": "quick", "nodes": [{"id": "a", "type": "transform", "config": {"output": output},
                                    "retry": {"max_attempts": 1}}], "edges": []})
    assert wf.status_code == 201, wf.text

    async def start_and_cancel(i: int) -> str:
        started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {}},
                                 headers=headers)
        await asyncio.sleep((i % 10) * 0.01)  # 0-90 ms after the 202
        await api.post(f"/api/v1/executions/{started.json()['id']}/cancel", headers=headers)
        return started.json()["id"]

    ids = await asyncio.gather(*(start_and_cancel(i) for i in range(RUNS)))
    mismatches = []
    for eid in ids:
        row = await wait_finished(api, eid, headers, timeout_s=60)
        if row["temporal_run_id"] is None:  # cancelled before it started: Temporal has no run
            assert row["status"] == "cancelled"
            continue
        handle = client.get_workflow_handle(row["temporal_workflow_id"], run_id=row["temporal_run_id"])
        for _ in range(100):
            desc = await handle.describe()
            if closed_status(desc.status):
                break
            await asyncio.sleep(0.1)
        if closed_status(desc.status) != row["status"]:
            mismatches.append((eid, row["status"], desc.status.name))
    assert mismatches == []
