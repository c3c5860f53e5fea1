"""Unhappy paths: every 4xx has the one error shape, and nothing is a 500."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest

from api.security import TokenCodec

from .conftest import JWT_SECRET
from .graphs import three_nodes


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
async def user(api, make_user, app):
    username, headers = await make_user()
    me = (await api.get("/api/v1/auth/me", headers=headers)).json()
    return me["id"], headers


async def test_bad_tokens_are_401(api, user):
    user_id, headers = user
    good = headers["Authorization"].split()[1]
    now = int(time.time())
    claims = {"sub": user_id, "scope": "read", "iat": now, "exp": now + 600}
    header, payload, signature = good.split(".")
    tampered_payload = b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "scope": "read admin"})
    bad = {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "wrong key": TokenCodec("another-secret-" + "y" * 40, 30).issue(user_id, ["read"], 0),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "expired": TokenCodec(JWT_SECRET, -1).issue(user_id, ["read"], 0),
        "garbage": "not.a.token",
        "unknown user": TokenCodec(JWT_SECRET, 30).issue("no-such-user", ["read"], 0),
    }
    for name, token in bad.items():
        response = await api.get("/api/v1/workflows", headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer"), name
    assert (await api.get("/api/v1/workflows", headers=headers)).status_code == 200


async def test_wrong_password_is_401(api, make_user):
    username, _ = await make_user()
    response = await api.post("/api/v1/auth/token", data={"username": username, "password": "nope-nope"})
    assert_error(response, 401, "invalid_credentials")
    response = await api.post("/api/v1/auth/token", data={"username": "nobody-at-all", "password": "nope-nope"})
    assert_error(response, 401, "invalid_credentials")


async def test_register_twice_and_bad_fields(api, make_user):
    username, _ = await make_user()
    assert_error(await api.post("/api/v1/auth/register", json={"username": username, "password": "long-enough"}),
                 409, "username_taken")
    err = assert_error(await api.post("/api/v1/auth/register",
                                      json={"username": "x", "password": 5, "admin": True}), 422)
    paths = {d["path"] for d in err["details"]}
    assert {"$.body.username", "$.body.password", "$.body.admin"} <= paths


async def test_malformed_json_wrong_types_huge_body(api, user):
    _, headers = user
    bad_json = await api.post("/api/v1/workflows", content=b'{"name": "x", nodes: [', headers={
        **headers, "content-type": "application/json"})
    assert_error(bad_json, 400, "malformed_json")
    not_object = await api.post("/api/v1/workflows", json=["a", "list"], headers=headers)
    assert_error(not_object, 422)
    huge = await api.post("/api/v1/workflows", content=b'{"name": "' + b"x" * 2_000_000 + b'"}',
                          headers={**headers, "content-type": "application/json"})
    assert_error(huge, 413, "body_too_large")

    async def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    streamed = await api.post("/api/v1/workflows", content=chunks(),
                              headers={**headers, "content-type": "application/json"})
    assert_error(streamed, 413, "body_too_large")
    nul = await api.post("/api/v1/workflows", json={**three_nodes(), "description": "a\u0000b"}, headers=headers)
    assert nul.status_code in (400, 422)
    assert_error(await api.get("/api/v1/workflows", params={"limit": "many"}, headers=headers), 422)
    assert_error(await api.get("/api/v1/workflows/has space", headers=headers), 422)
    assert_error(await api.get("/api/v1/nowhere", headers=headers), 404, "not_found")
    assert_error(await api.patch("/api/v1/workflows", headers=headers), 405, "method_not_allowed")


async def test_validate_reports_every_issue(api, user):
    _, headers = user
    broken = {"name": "broken", "nodes": [
        {"id": "a", "type": "transform", "config": {"output": "{{ nodes.b.output }}"}},
        {"id": "a", "type": "nope"},
        {"id": "b", "type": "http_request", "config": {"method": "GET"}},
    ], "edges": [{"from": "a", "to": "ghost"}]}
    err = assert_error(await api.post("/api/v1/workflows/validate", json=broken, headers=headers),
                       422, "invalid_definition")
    codes = {d["code"] for d in err["details"]}
    assert {"duplicate_node_id", "unknown_node_type", "invalid_config", "edge_unknown_target"} <= codes
    assert all(d["path"].startswith("$") for d in err["details"])
    created = await api.post("/api/v1/workflows", json=broken, headers=headers)
    assert_error(created, 422, "invalid_definition")
    ok = await api.post("/api/v1/workflows/validate", json=three_nodes(), headers=headers)
    assert ok.json() == {"valid": True, "issues": []}


async def test_inputs_are_validated(api, user):
    _, headers = user
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    url = f"/api/v1/workflows/{wf['id']}/executions"
    err = assert_error(await api.post(url, json={"inputs": {"who": 7}}, headers=headers), 422, "invalid_inputs")
    assert err["details"][0]["path"] == "$.inputs.who"
    assert_error(await api.post(url, json={"inputs": {}}, headers=headers), 422, "invalid_inputs")
    assert_error(await api.post(url, json={"inputs": {"who": "x"}, "extra": 1}, headers=headers), 422)


async def test_idempotency_key_returns_the_same_execution(api, user, app):
    _, headers = user
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    url = f"/api/v1/workflows/{wf['id']}/executions"
    keyed = {**headers, "Idempotency-Key": "order-42"}
    responses = await asyncio.gather(*(api.post(url, json={"inputs": {"who": "x"}}, headers=keyed)
                                       for _ in range(5)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    again = await api.post(url, json={"inputs": {"who": "x"}}, headers=keyed)
    assert again.json()["id"] == responses[0].json()["id"]
    other = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    assert_error(await api.post(f"/api/v1/workflows/{other['id']}/executions", json={"inputs": {"who": "x"}},
                                headers=keyed), 422, "idempotency_key_reused")


async def test_idempotency_key_with_another_body_is_refused_and_a_replay_shows_the_current_status(api, user):
    """Issue 10.2: the same key with other inputs must not answer with the
    earlier execution (its inputs silently ignored)."""
    from .helpers import wait_finished

    _, headers = user
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    url = f"/api/v1/workflows/{wf['id']}/executions"
    keyed = {**headers, "Idempotency-Key": f"key-{wf['id']}"}
    first = await api.post(url, json={"inputs": {"who": "x"}}, headers=keyed)
    assert first.status_code == 202, first.text
    for other in ({"inputs": {"who": "y"}}, {"inputs": {"who": "x"}, "version": 1},
                  {"inputs": {"who": "x"}, "debug": {"breakpoints": ["greet"]}}):
        assert_error(await api.post(url, json=other, headers=keyed), 422, "idempotency_key_reused")
    await wait_finished(api, first.json()["id"], headers)
    replay = await api.post(url, json={"inputs": {"who": "x"}}, headers=keyed)
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    assert replay.json()["status"] == "succeeded"


async def test_cancel_and_result_conflicts(api, user):
    from .graphs import slow
    from .helpers import wait_finished

    _, headers = user
    wf = (await api.post("/api/v1/workflows", json=slow("c", 60), headers=headers)).json()
    ex = (await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=headers)).json()
    assert_error(await api.get(f"/api/v1/executions/{ex['id']}/result", headers=headers), 409, "not_finished")
    assert (await api.post(f"/api/v1/executions/{ex['id']}/cancel", headers=headers)).status_code == 202
    final = await wait_finished(api, ex["id"], headers)
    assert final["status"] == "cancelled"
    assert_error(await api.post(f"/api/v1/executions/{ex['id']}/cancel", headers=headers), 409, "already_finished")


async def test_health(api):
    assert (await api.get("/health/live")).json()["status"] == "ok"
    ready = await api.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"postgresql": "ok", "temporal": "ok"}
