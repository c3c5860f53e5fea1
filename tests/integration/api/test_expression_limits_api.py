"""The API under the expression limits (issue 8, item 6): a heavy breakpoint
condition is evaluated off the event loop (the API keeps answering meanwhile)
and stops at a limit; a session holds a bounded number of breakpoints, each
with a bounded condition; validating a large definition's expressions does
not hold the loop either."""

from __future__ import annotations

import asyncio

from core import expression_threads

from .graphs import three_nodes
from .helpers import wait_finished

# ~0.2 s of regex work before it goes over the data limit
HEAVY = " + ".join(["(('ab ' * 330000) | wordcount)"] * 8) + " > 0"


async def debug_session(api, headers) -> str:
    wf = await api.post("/api/v1/workflows", json=three_nodes("debug-limits"), headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions",
                             json={"inputs": {"who": "ada"}}, headers=headers)
    assert started.status_code == 202, started.text
    final = await wait_finished(api, started.json()["id"], headers)
    assert final["status"] == "succeeded"
    created = await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_heavy_condition_does_not_block_the_loop_and_stops_at_a_limit(api, make_user):
    _, headers = await make_user()
    sid = await debug_session(api, headers)
    plain = await api.post(f"/api/v1/debug/sessions/{sid}/breakpoints", json={"node_id": "greet"}, headers=headers)
    heavy = await api.post(f"/api/v1/debug/sessions/{sid}/breakpoints",
                           json={"node_id": "done", "condition": HEAVY}, headers=headers)
    assert (plain.status_code, heavy.status_code) == (201, 201), heavy.text

    step = asyncio.create_task(api.post(f"/api/v1/debug/sessions/{sid}/step", json={"mode": "continue"},
                                        headers=headers))
    first = await step  # the plain breakpoint: no condition evaluated
    assert first.json()["reason"] == "breakpoint"

    step = asyncio.create_task(api.post(f"/api/v1/debug/sessions/{sid}/step", json={"mode": "continue"},
                                        headers=headers))
    while expression_threads.running() == 0 and not step.done():
        await asyncio.sleep(0.001)
    assert not step.done(), "the condition was evaluated without the expression threads"
    # The loop is free while the condition runs in its thread: /health/live answers now.
    live = await api.get("/health/live")
    assert live.status_code == 200
    assert expression_threads.running() == 1 and not step.done()

    response = await step
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "expression_limit"
    assert "over the limit of 10000000 items and characters processed" in error["message"]
    assert error["details"][0]["path"] == "$.breakpoints[1].condition"
    # The cursor did not move; removing the breakpoint lets the session continue.
    bp_id = heavy.json()["id"]
    assert (await api.delete(f"/api/v1/debug/sessions/{sid}/breakpoints/{bp_id}", headers=headers)).status_code == 204
    resumed = await api.post(f"/api/v1/debug/sessions/{sid}/step", json={"mode": "continue"}, headers=headers)
    assert resumed.status_code == 200 and resumed.json()["reason"] == "end"


async def test_breakpoints_per_session_and_condition_length_are_limited(api, make_user):
    _, headers = await make_user()
    sid = await debug_session(api, headers)
    url = f"/api/v1/debug/sessions/{sid}/breakpoints"
    too_long = await api.post(url, json={"node_id": "greet", "condition": "1 == 1 and " * 200 + "true"},
                              headers=headers)
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["path"] == "$.body.condition"
    macro = await api.post(url, json={"node_id": "greet", "condition": "{% macro f() %}{{ f() }}{% endmacro %}"},
                           headers=headers)
    assert macro.status_code == 422 and macro.json()["error"]["code"] == "invalid_condition"

    for i in range(100):
        added = await api.post(url, json={"node_id": "greet", "condition": f"attempts > {i}"}, headers=headers)
        assert added.status_code == 201, added.text
    refused = await api.post(url, json={"node_id": "shout"}, headers=headers)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "too_many_breakpoints"
    assert error["details"] == [{"path": "$", "code": "too_many_breakpoints",
                                 "message": "delete one of the 100 breakpoints first"}]
    session = await api.get(f"/api/v1/debug/sessions/{sid}", headers=headers)
    assert len(session.json()["breakpoints"]) == 100


async def test_validating_a_large_definition_does_not_block_the_loop(api, make_user):
    _, headers = await make_user()
    output = {f"k{i}": "{{ inputs.x | upper }} and {% for a in inputs.y %}{{ a }}{% endfor %}"
              for i in range(11_000)}  # ~0.9 MB: seconds of parsing
    definition = {"name": "large", "nodes": [{"id": "t", "type": "transform", "config": {"output": output}}]}
    validating = asyncio.create_task(api.post("/api/v1/workflows/validate", json=definition, headers=headers))
    while expression_threads.running() == 0 and not validating.done():
        await asyncio.sleep(0.001)
    assert not validating.done(), "the definition was validated without the expression threads"
    live = await api.get("/health/live")
    assert live.status_code == 200
    assert expression_threads.running() == 1 and not validating.done()
    response = await validating
    assert response.status_code == 200, response.text
