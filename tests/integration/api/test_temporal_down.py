"""A start accepted while Temporal has never been reachable (issue 9.6):
202 with the row pending, never a 500, and the reconciler of any API process
starts it once Temporal answers: nothing accepted is lost."""

from __future__ import annotations

import pytest

from cli.devserver import free_port

from .conftest import another_app, asgi_client
from .helpers import wait_finished

pytestmark = pytest.mark.integration


async def test_start_with_temporal_unreachable_is_accepted_then_started(api, api_settings, make_user):
    _, headers = await make_user()
    wf = await api.post("/api/v1/workflows", headers=headers, json={
        "name": "later", "nodes": [{"id": "a", "type": "transform", "config": {"output": 1}}], "edges": []})
    nowhere = api_settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    async with another_app(nowhere, None) as down:  # its own client, which can never connect
        async with asgi_client(down) as client:
            accepted = await client.post(f"/api/v1/workflows/{wf.json()['id']}/executions",
                                         json={"inputs": {}}, headers=headers)
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["status"] == "pending" and accepted.json()["temporal_run_id"] is None
            seen = await client.get(f"/api/v1/executions/{accepted.json()['id']}", headers=headers)
            assert seen.status_code == 200 and seen.json()["status"] == "pending"
            # What needs Temporal says so clearly: never a 500.
            assert (await client.get("/health/ready")).status_code == 503
            other = await client.post(f"/api/v1/workflows/{wf.json()['id']}/executions",
                                      json={"inputs": {}}, headers=headers)
            # A pending run cancelled while Temporal is down is cancelled: nothing will start it.
            cancel = await client.post(f"/api/v1/executions/{other.json()['id']}/cancel", headers=headers)
            assert cancel.status_code == 202 and cancel.json()["status"] == "cancelled", cancel.text
            debug = await client.post("/api/v1/debug/sessions", headers=headers,
                                      json={"execution_id": accepted.json()["id"]})
            assert debug.status_code == 409 and debug.json()["error"]["code"] == "not_started", debug.text
    # The session's API (its reconciler runs every second) starts it.
    final = await wait_finished(api, accepted.json()["id"], headers, timeout_s=60)
    assert final["status"] == "succeeded" and final["nodes"]["a"]["output"] == 1
    cancelled = (await api.get(f"/api/v1/executions/{other.json()['id']}", headers=headers)).json()
    assert cancelled["status"] == "cancelled" and cancelled["temporal_run_id"] is None
