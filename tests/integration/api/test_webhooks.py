"""Issue 10.6: inbound webhooks. A workflow's webhook URL starts runs as the
workflow's owner through the start pipeline: the token is stored hashed and
shown once, GitHub- and Stripe-style signatures are verified, body and
headers become inputs checked by the inputs schema, deliveries are rate
limited and deduplicated by delivery id, and `?wait=N` answers the result."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time

from sqlalchemy import select

from api.hook_signatures import github_signature, stripe_signature
from core.db.models import AuditLog, Execution, Webhook

from .conftest import another_app, asgi_client
from .graphs import three_nodes
from .helpers import wait_finished
from .test_unhappy import assert_error

EVENTS = {
    "name": "events",
    "inputs": {"type": "object", "properties": {"payload": {"type": "object"}, "event": {"type": "string"}},
               "required": ["payload", "event"]},
    "nodes": [{"id": "echo", "type": "transform",
               "config": {"output": {"event": "{{ inputs.event }}", "action": "{{ inputs.payload.action }}"}}}],
}


async def create_workflow(api, headers, definition=None) -> str:
    response = await api.post("/api/v1/workflows", json=definition or three_nodes(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def create_hook(api, headers, wid, **body) -> dict:
    response = await api.post(f"/api/v1/workflows/{wid}/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def deliver(api, token, payload=None, *, raw: bytes | None = None, headers=None, **params):
    content = raw if raw is not None else json.dumps(payload if payload is not None else {}).encode()
    return api.post(f"/hooks/{token}", content=content, params=params,
                    headers={"content-type": "application/json", **(headers or {})})


async def executions_of(api, headers, wid) -> list[dict]:
    return (await api.get(f"/api/v1/workflows/{wid}/executions", headers=headers)).json()["items"]


async def test_a_delivery_starts_a_run_as_the_owner(api, app, make_user):
    owner_name, owner = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid, name="ci")
    assert hook["token"].startswith("wh_") and hook["url"].endswith(f"/hooks/{hook['token']}")
    assert hook["signature"] == "none" and hook["signing_secret"] is None
    accepted = await deliver(api, hook["token"], {"who": "ada"})
    assert accepted.status_code == 202, accepted.text
    final = await wait_finished(api, accepted.json()["id"], owner)
    assert final["status"] == "succeeded" and final["inputs"] == {"who": "ada"}
    assert final["owner_id"] == hook["owner_id"]
    async with app.state.agentic.sessions() as session:
        row = await session.get(Execution, accepted.json()["id"])
        stored = await session.get(Webhook, hook["id"])
    assert row.started_by == owner_name and row.trigger == "webhook"
    assert row.options["webhook"] == {"id": hook["id"], "delivery": None}
    # Only the token's hash is kept, and no read shows the token again.
    assert stored.token_hash == hashlib.sha256(hook["token"].encode()).hexdigest()
    assert stored.last_delivery_at is not None
    listed = (await api.get(f"/api/v1/workflows/{wid}/webhooks", headers=owner)).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    one = (await api.get(f"/api/v1/workflows/{wid}/webhooks/{hook['id']}", headers=owner)).json()
    for read in (listed["items"][0], one):
        assert "token" not in read and "url" not in read and "signing_secret" not in read
        assert hook["token"] not in json.dumps(read)


async def test_a_delivery_can_wait_for_the_result(api, make_user):
    _, owner = await make_user()
    hook = await create_hook(api, owner, await create_workflow(api, owner))
    answer = await deliver(api, hook["token"], {"who": "bo"}, wait=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded" and answer.json()["outputs"]["done"] == {"final": "HELLO BO"}


async def test_body_and_headers_map_to_inputs(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner, EVENTS)
    hook = await create_hook(api, owner, wid, body_input="payload", header_inputs={"X-GitHub-Event": "event"})
    assert hook["header_inputs"] == {"x-github-event": "event"}
    answer = await deliver(api, hook["token"], {"action": "opened"}, headers={"X-GitHub-Event": "pull_request"},
                           wait=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"]["echo"] == {"event": "pull_request", "action": "opened"}


async def test_inputs_that_do_not_fit_the_schema_are_422_and_start_nothing(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner, EVENTS)
    hook = await create_hook(api, owner, wid, body_input="payload", header_inputs={"X-GitHub-Event": "event"})
    err = assert_error(await deliver(api, hook["token"], {"action": "opened"}), 422, "invalid_inputs")
    assert "event" in json.dumps(err["details"])  # the header that was not sent
    plain = await create_hook(api, owner, await create_workflow(api, owner))
    assert_error(await deliver(api, plain["token"], {"who": 5}), 422, "invalid_inputs")
    assert_error(await deliver(api, plain["token"], [1, 2]), 422, "invalid_inputs")
    assert_error(await deliver(api, plain["token"], raw=b"{not json"), 400, "malformed_json")
    assert await executions_of(api, owner, wid) == []


async def test_github_signatures(api, make_user):
    _, owner = await make_user()
    hook = await create_hook(api, owner, await create_workflow(api, owner), signature={"style": "github"})
    secret = hook["signing_secret"]
    assert hook["signature"] == "github" and secret.startswith("whsec_")
    body = json.dumps({"who": "gh"}).encode()
    good = {"X-Hub-Signature-256": github_signature(secret, body)}
    assert (await deliver(api, hook["token"], raw=body, headers=good)).status_code == 202
    err = assert_error(await deliver(api, hook["token"], raw=body.replace(b"gh", b"GH"), headers=good),
                       401, "invalid_signature")
    assert secret not in json.dumps(err)
    assert_error(await deliver(api, hook["token"], raw=body,
                               headers={"X-Hub-Signature-256": github_signature("not the secret!!", body)}),
                 401, "invalid_signature")
    assert_error(await deliver(api, hook["token"], raw=body), 401, "signature_missing")


async def test_stripe_signatures_and_their_timestamp_tolerance(api, app, make_user):
    _, owner = await make_user()
    secret = "whsec_" + "s" * 32
    hook = await create_hook(api, owner, await create_workflow(api, owner),
                             signature={"style": "stripe", "secret": secret, "tolerance_s": 60})
    assert hook["signing_secret"] is None  # given, not generated: not echoed
    body = json.dumps({"who": "st"}).encode()
    now = int(time.time())
    fresh = {"Stripe-Signature": stripe_signature(secret, body, now)}
    assert (await deliver(api, hook["token"], raw=body, headers=fresh)).status_code == 202
    old = {"Stripe-Signature": stripe_signature(secret, body, now - 3600)}
    assert_error(await deliver(api, hook["token"], raw=body, headers=old), 401, "signature_expired")
    wrong = {"Stripe-Signature": stripe_signature("whsec_another_secret_x", body, now)}
    assert_error(await deliver(api, hook["token"], raw=body, headers=wrong), 401, "invalid_signature")
    async with app.state.agentic.sessions() as session:
        stored = await session.get(Webhook, hook["id"])
    assert secret.encode() not in stored.secret_ciphertext and stored.secret_kek_id


async def test_a_redelivery_answers_the_same_execution(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid, signature={"style": "github"})
    body = json.dumps({"who": "re"}).encode()
    headers = {"X-Hub-Signature-256": github_signature(hook["signing_secret"], body),
               "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    first = await deliver(api, hook["token"], raw=body, headers=headers)
    again = await deliver(api, hook["token"], raw=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    other = json.dumps({"who": "other"}).encode()
    reused = {**headers, "X-Hub-Signature-256": github_signature(hook["signing_secret"], other)}
    assert_error(await deliver(api, hook["token"], raw=other, headers=reused), 422, "idempotency_key_reused")
    with_key = await deliver(api, hook["token"], raw=body, headers={
        "X-Hub-Signature-256": headers["X-Hub-Signature-256"], "Idempotency-Key": "evt_1"})
    assert with_key.status_code == 202 and with_key.json()["id"] != first.json()["id"]
    bad_id = {"X-Hub-Signature-256": headers["X-Hub-Signature-256"], "Idempotency-Key": "has space"}
    err = assert_error(await deliver(api, hook["token"], raw=body, headers=bad_id), 422, "validation_error")
    assert err["details"][0]["path"] == "$.headers.idempotency-key"
    assert len(await executions_of(api, owner, wid)) == 2


async def test_concurrent_redeliveries_start_one_run(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid)
    answers = await asyncio.gather(*(deliver(api, hook["token"], {"who": "c"}, headers={"Idempotency-Key": "same"},
                                             wait=30) for _ in range(5)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await executions_of(api, owner, wid)) == 1


async def test_deliveries_are_rate_limited_per_webhook(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    limited = await create_hook(api, owner, wid, rate_limit_per_minute=2)
    other = await create_hook(api, owner, wid)
    for _ in range(2):
        assert (await deliver(api, limited["token"], {"who": "r"})).status_code == 202
    refused = await deliver(api, limited["token"], {"who": "r"})
    err = assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60 and err["details"][0]["retry_after_s"]
    assert (await deliver(api, other["token"], {"who": "r"})).status_code == 202
    assert len(await executions_of(api, owner, wid)) == 3


async def test_rotated_and_revoked_tokens_answer_404(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid, signature={"style": "github"})
    rotated = await api.post(f"/api/v1/workflows/{wid}/webhooks/{hook['id']}/rotate", headers=owner)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["token"] != hook["token"] and new["signing_secret"] is None and new["rotated_at"]
    body = json.dumps({"who": "x"}).encode()
    signed = {"X-Hub-Signature-256": github_signature(hook["signing_secret"], body)}
    assert_error(await deliver(api, hook["token"], raw=body, headers=signed), 404, "not_found")
    assert (await deliver(api, new["token"], raw=body, headers=signed)).status_code == 202
    # A new secret too: the old one no longer verifies.
    again = (await api.post(f"/api/v1/workflows/{wid}/webhooks/{hook['id']}/rotate",
                            json={"signing_secret": True}, headers=owner)).json()
    assert again["signing_secret"] and again["signing_secret"] != hook["signing_secret"]
    assert_error(await deliver(api, again["token"], raw=body, headers=signed), 401, "invalid_signature")
    assert (await api.delete(f"/api/v1/workflows/{wid}/webhooks/{hook['id']}", headers=owner)).status_code == 204
    fresh = {"X-Hub-Signature-256": github_signature(again["signing_secret"], body)}
    assert_error(await deliver(api, again["token"], raw=body, headers=fresh), 404, "not_found")
    assert (await api.get(f"/api/v1/workflows/{wid}/webhooks", headers=owner)).json()["total"] == 0
    assert_error(await api.post(f"/api/v1/workflows/{wid}/webhooks/{hook['id']}/rotate", headers=owner),
                 404, "not_found")


async def test_unknown_tokens_answer_404(api):
    for token in ("wh_" + "A" * 43, "nope", "x" * 500, "wh_" + "A" * 44):
        assert_error(await deliver(api, token, {"who": "x"}), 404, "not_found")


async def test_a_deleted_workflow_s_webhook_answers_404(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid)
    assert (await api.delete(f"/api/v1/workflows/{wid}", headers=owner)).status_code == 204
    assert_error(await deliver(api, hook["token"], {"who": "x"}), 404, "not_found")


async def test_another_users_webhooks_answer_404(api, make_user, admin_headers):
    _, owner = await make_user()
    _, stranger = await make_user()
    wid = await create_workflow(api, owner)
    hook = await create_hook(api, owner, wid)
    base = f"/api/v1/workflows/{wid}/webhooks"
    for response in (await api.get(base, headers=stranger), await api.get(f"{base}/{hook['id']}", headers=stranger),
                     await api.post(base, json={}, headers=stranger),
                     await api.post(f"{base}/{hook['id']}/rotate", headers=stranger),
                     await api.delete(f"{base}/{hook['id']}", headers=stranger)):
        assert_error(response, 404, "not_found")
    # Its own workflow does not reach it either.
    own = await create_workflow(api, stranger)
    assert_error(await api.get(f"/api/v1/workflows/{own}/webhooks/{hook['id']}", headers=stranger), 404)
    assert (await api.get(base, headers=admin_headers)).json()["total"] == 1
    by_admin = await create_hook(api, admin_headers, wid)
    assert by_admin["owner_id"] == hook["owner_id"]  # follows the workflow's owner


async def test_management_refuses_bad_bodies(api, make_user):
    _, owner = await make_user()
    wid = await create_workflow(api, owner)
    base = f"/api/v1/workflows/{wid}/webhooks"
    for body in ({"header_inputs": {"Authorization": "auth"}}, {"header_inputs": {"X-A": "not a name"}},
                 {"signature": {"style": "hmac-md5"}}, {"signature": {"style": "github", "secret": "short"}},
                 {"rate_limit_per_minute": 0}, {"token": "mine"}):
        assert_error(await api.post(base, json=body, headers=owner), 422, "validation_error")
    err = assert_error(await api.post(base, json={"version": 9}, headers=owner), 422, "validation_error")
    assert err["details"][0]["path"] == "$.version"
    plain = await create_hook(api, owner, wid)
    assert_error(await api.post(f"{base}/{plain['id']}/rotate", json={"signing_secret": True}, headers=owner),
                 409, "unsigned_webhook")


async def test_a_body_over_the_webhook_limit_is_413(api_settings, client, make_user, app):
    _, owner = await make_user()
    async with another_app(api_settings.model_copy(update={"webhook_max_body_bytes": 1000}), client) as small, \
            asgi_client(small) as http:
        wid = await create_workflow(http, owner)
        hook = await create_hook(http, owner, wid)
        big = {"who": "x" * 2000}
        assert_error(await deliver(http, hook["token"], big), 413, "body_too_large")
        assert (await deliver(http, hook["token"], {"who": "x"})).status_code == 202


async def test_the_token_never_reaches_the_audit_log(api, app, make_user):
    _, owner = await make_user()
    hook = await create_hook(api, owner, await create_workflow(api, owner), signature={"style": "github"})
    accepted = await deliver(api, hook["token"], raw=b"{}",
                             headers={"X-Hub-Signature-256": github_signature(hook["signing_secret"], b"{}")})
    assert accepted.status_code == 422  # `who` is required: refused, and audited
    await deliver(api, hook["token"], {"who": "a"})  # 401: unsigned
    await deliver(api, "wh_" + "B" * 43, {})  # 404
    assert_error(await deliver(api, hook["token"], {"who": "a"}, wait="soon"), 422)  # refused before the handler
    async with app.state.agentic.sessions() as session:
        rows = (await session.scalars(select(AuditLog).where(AuditLog.action == "POST /hooks/{token}"))).all()
    seen = json.dumps([[r.resource_type, r.resource_id, r.action] for r in rows])
    assert hook["id"] in seen and hook["token"] not in seen and "BBBB" not in seen
    assert sum(r.resource_id == hook["id"] for r in rows) == 2  # the 422 and the 401


async def test_a_signing_secret_that_no_longer_decrypts_is_503_not_500(api, app, make_user):
    """Its master key removed before the rewrap: the operator's problem, said plainly."""
    _, owner = await make_user()
    hook = await create_hook(api, owner, await create_workflow(api, owner), signature={"style": "github"})
    async with app.state.agentic.sessions() as session:
        stored = await session.get(Webhook, hook["id"])
        stored.secret_kek_id = "0" * 16  # a key this installation does not have
        await session.commit()
    body = b'{"who": "x"}'
    answer = await deliver(api, hook["token"], raw=body,
                           headers={"X-Hub-Signature-256": github_signature(hook["signing_secret"], body)})
    assert_error(answer, 503, "secret_store_error")
