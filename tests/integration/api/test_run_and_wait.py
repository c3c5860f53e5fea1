"""Issue 10.7: run and wait. `POST .../executions?wait=N` answers 200 with the
result (the shape of GET /executions/{id}/result) when the run finishes within
N seconds, a failed or cancelled run included, and the usual 202 otherwise;
the wait holds no database connection."""

from __future__ import annotations

import asyncio
import time

from .conftest import another_app, asgi_client
from .graphs import three_nodes
from .test_approvals import approval_graph, decide, wait_pending
from .test_unhappy import assert_error

WAITING = {"name": "waits", "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60}}]}
FAILING = {"name": "fails", "nodes": [
    {"id": "boom", "type": "transform", "config": {"output": "{{ inputs.missing.deeper }}"},
     "retry": {"max_attempts": 1}}]}


async def create(api, headers, definition) -> str:
    response = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def run(api, headers, wid, inputs=None, **params):
    return api.post(f"/api/v1/workflows/{wid}/executions", json={"inputs": inputs or {}}, params=params,
                    headers=headers)


async def until_running(api, headers, wid) -> dict:
    """The run of `wid` once the API has started it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = (await api.get(f"/api/v1/workflows/{wid}/executions", headers=headers)).json()["items"]
        if items and items[0]["status"] == "running":
            return items[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no run of {wid} started")


async def test_a_run_finishing_in_time_answers_its_result(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, three_nodes())
    answer = await run(api, owner, wid, {"who": "ada"}, wait=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "succeeded" and body["outputs"]["done"] == {"final": "HELLO ADA"}
    assert body == (await api.get(f"/api/v1/executions/{body['id']}/result", headers=owner)).json()


async def test_a_failed_run_answers_its_failure_in_the_result_shape(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, FAILING)
    answer = await run(api, owner, wid, wait=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "failed" and body["error"]["node"] == "boom"
    assert body == (await api.get(f"/api/v1/executions/{body['id']}/result", headers=owner)).json()


async def test_a_run_outlasting_the_wait_answers_202(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    answer = await run(api, owner, wid, wait=1)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "running" and answer.json()["ui_url"]
    await api.post(f"/api/v1/executions/{answer.json()['id']}/cancel", headers=owner)


async def test_no_wait_answers_202_at_once(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, three_nodes())
    assert (await run(api, owner, wid, {"who": "x"})).status_code == 202
    assert (await run(api, owner, wid, {"who": "x"}, wait=0)).status_code == 202


async def test_the_wait_is_bounded(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, three_nodes())
    for wait in (61, -1, "soon"):
        err = assert_error(await run(api, owner, wid, {"who": "x"}, wait=wait), 422, "validation_error")
        assert err["details"][0]["path"] == "$.query.wait"
    listed = (await api.get(f"/api/v1/workflows/{wid}/executions", headers=owner)).json()
    assert listed["total"] == 0  # refused before anything started


async def test_a_run_cancelled_during_the_wait_answers_cancelled(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    waiter = asyncio.create_task(run(api, owner, wid, wait=30))
    running = await until_running(api, owner, wid)
    assert (await api.post(f"/api/v1/executions/{running['id']}/cancel", headers=owner)).status_code == 202
    answer = await waiter
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == running["id"] and answer.json()["status"] == "cancelled"


async def test_a_run_terminated_outside_the_api_answers_terminated_and_closes_its_row(api, client, make_user):
    """Terminated in the Temporal Web UI: the run cannot record itself, so the
    wait closes the row as the reconciler's sweep would."""
    _, owner = await make_user()
    wid = await create(api, owner, WAITING)
    waiter = asyncio.create_task(run(api, owner, wid, wait=30))
    running = await until_running(api, owner, wid)
    await client.get_workflow_handle(running["temporal_workflow_id"]).terminate(reason="from the UI")
    answer = await waiter
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "terminated"
    assert answer.json()["error"]["code"] == "closed_terminated"
    row = (await api.get(f"/api/v1/executions/{running['id']}", headers=owner)).json()
    assert row["status"] == "terminated"


async def test_a_replayed_request_waits_for_the_same_run(api, make_user):
    _, owner = await make_user()
    wid = await create(api, owner, three_nodes())
    key = {**owner, "Idempotency-Key": "wait-replay-1"}
    first = await run(api, key, wid, {"who": "bo"}, wait=30)
    again = await run(api, key, wid, {"who": "bo"}, wait=30)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (await api.get(f"/api/v1/workflows/{wid}/executions", headers=owner)).json()["total"] == 1
    without_wait = await run(api, key, wid, {"who": "bo"})
    assert without_wait.status_code == 202 and without_wait.json()["status"] == "succeeded"


async def test_the_wait_holds_no_database_connection(app, api_settings, client, make_user):
    """While a run waits for an approval the request waits for the run, and the
    API's pool has no connection checked out (an instance without a reconciler,
    so nothing else uses its pool)."""
    owner_name, owner = await make_user()
    async with another_app(api_settings, client) as instance, asgi_client(instance) as http:
        pool = instance.state.agentic.engine.sync_engine.pool
        wid = await create(http, owner, approval_graph([f"user:{owner_name}"], allow_self_approval=True))
        waiter = asyncio.create_task(run(http, owner, wid, wait=60))
        running = await until_running(http, owner, wid)
        await wait_pending(http, owner, f"{running['id']}:gate")
        deadline = time.monotonic() + 10
        while pool.checkedout() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert pool.checkedout() == 0 and not waiter.done()
        assert (await decide(http, owner, f"{running['id']}:gate")).status_code == 200
        answer = await waiter
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded" and answer.json()["outputs"]["ship"] == "shipped"


async def test_concurrent_replays_that_wait_all_answer_the_one_result(api, make_user):
    """The losers of the Idempotency-Key race roll back, then wait for the winner's run."""
    _, owner = await make_user()
    wid = await create(api, owner, three_nodes())
    key = {**owner, "Idempotency-Key": "wait-race-1"}
    answers = await asyncio.gather(*(run(api, key, wid, {"who": "cy"}, wait=30) for _ in range(5)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await api.get(f"/api/v1/workflows/{wid}/executions", headers=owner)).json()["total"] == 1
