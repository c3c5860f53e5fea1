"""The debugger shows what a node really sent: the config its activity
rendered (URL, query, headers, body), next to the template it came from,
for a node that succeeded and one that failed; a secret shows as `***`, and
its value appears nowhere: not in the session, not in Temporal's history."""

from __future__ import annotations

import json
import uuid

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .helpers import wait_finished

TEMPLATE_URL = "/rendered/{{ nodes.prepare.output.v2 }}"


def definition(base: str, secret: str) -> dict:
    auth = {"Authorization": "Bearer {{ secrets.%s }}" % secret}
    return {
        "name": "rendered",
        "inputs": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        "nodes": [
            {"id": "prepare", "type": "transform", "config": {"output": {"v2": "abc-{{ inputs.x }}"}}},
            {"id": "call", "type": "http_request", "config": {
                "method": "POST", "url": base + TEMPLATE_URL, "headers": auth,
                "query": {"page": "{{ inputs.x + 1 }}"}, "json": {"v": "{{ nodes.prepare.output.v2 }}"}}},
            {"id": "fail", "type": "http_request", "retry": {"max_attempts": 1}, "config": {
                "url": base + "/rendered-fail", "headers": auth, "query": {"q": "{{ nodes.call.output.status }}"}}},
        ],
        "edges": [{"from": "prepare", "to": "call"}, {"from": "call", "to": "fail"}],
    }


async def test_the_debugger_shows_the_rendered_config_with_secrets_masked(api, client, make_user, server):  # noqa: F811
    _, headers = await make_user()
    name, value = f"TOKEN_{uuid.uuid4().hex[:6].upper()}", f"sv-{uuid.uuid4().hex}"
    created = await api.post("/api/v1/secrets", json={"name": name, "value": value}, headers=headers)
    assert created.status_code == 201, created.text
    server.route("/rendered/abc-7", "echo")
    server.route("/rendered-fail", (400, {}, {"no": "thanks"}))
    wf = await api.post("/api/v1/workflows", json=definition(server.url(""), name), headers=headers)
    assert wf.status_code == 201, wf.text
    started = await api.post(f"/api/v1/workflows/{wf.json()['id']}/executions", json={"inputs": {"x": 7}},
                             headers=headers)
    final = await wait_finished(api, started.json()["id"], headers)
    assert final["status"] == "failed" and final["nodes"]["fail"]["state"] == "failed"
    sent = server.hits("/rendered/abc-7")[0]
    assert sent.headers["authorization"] == f"Bearer {value}"  # the node really used the secret

    session = await api.post("/api/v1/debug/sessions", json={"execution_id": final["id"]}, headers=headers)
    assert session.status_code == 201, session.text
    body = session.json()
    entered = {b["node_id"]: b["input"] for b in body["timeline"] if b["kind"] == "enter"}

    call = entered["call"]
    assert call["config"]["url"].endswith(TEMPLATE_URL)  # the template it came from
    assert call["rendered"] == {  # what it sent
        "method": "POST", "url": server.url("/rendered/abc-7"), "headers": {"Authorization": "Bearer ***"},
        "query": {"page": 8}, "json": {"v": "abc-7"}}
    # the failed node's rendered config comes from its failure
    assert entered["fail"]["rendered"] == {
        "url": server.url("/rendered-fail"), "headers": {"Authorization": "Bearer ***"}, "query": {"q": 200}}
    assert entered["prepare"]["rendered"] == {"output": {"v2": "abc-7"}}

    # the cursor on a node answers the same through /variables
    index = next(b["index"] for b in body["timeline"] if b["kind"] == "exit" and b["node_id"] == "fail")
    step = await api.post(f"/api/v1/debug/sessions/{body['id']}/step", json={"mode": "continue"}, headers=headers)
    assert step.json()["cursor"] == index and step.json()["reason"] == "error"
    variables = (await api.get(f"/api/v1/debug/sessions/{body['id']}/variables", headers=headers)).json()
    assert variables["input"]["rendered"]["headers"] == {"Authorization": "Bearer ***"}

    history = await client.get_workflow_handle(final["temporal_workflow_id"]).fetch_history()
    for where, text in (("session", session.text), ("variables", json.dumps(variables)),
                        ("history", history.to_json()), ("execution", json.dumps(final))):
        assert value not in text, where
