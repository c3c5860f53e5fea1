"""Issue 13: the remote codec endpoint the Temporal Web UI decodes payloads
with (POST /api/v1/codec/decode and /encode, Temporal's codec server
protocol): admins only, CORS for the UI's origin alone, clear 4xx for bad
bodies; and the read-only gate of `make run` forwarding the UI's calls."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from cli.ui_gate import create_gate
from core.payload_codec import ENCODING, KEY_ID, EncryptionCodec
from core.payload_keys import new_key_entry, parse_keys

from .conftest import ADMIN_PASSWORD, login
from .helpers import wait_finished
from .test_schedules import make_workflow
from .test_unhappy import assert_error

pytestmark = pytest.mark.integration
DECODE, ENCODE = "/api/v1/codec/decode", "/api/v1/codec/encode"
UI_ORIGIN = "http://127.0.0.1:8233"  # AGENTIC_TEMPORAL_UI_URL's origin (the default)


def wire(payload: Payload) -> dict:
    """A payload in protobuf JSON, as the Web UI sends it."""
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}


def unwire(item: dict) -> Payload:
    return Payload(metadata={k: base64.b64decode(v) for k, v in item["metadata"].items()},
                   data=base64.b64decode(item["data"]))


async def stored_input(api, client: Client, headers: dict, value: str) -> Payload:
    """The encrypted input payload of a real run, read raw from Temporal."""
    wf = await make_workflow(api, headers)
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"inputs": {"who": value}},
                             headers=headers)
    assert started.status_code == 202, started.text
    await wait_finished(api, started.json()["id"], headers)
    plain = await Client.connect(client.service_client.config.target_host, namespace=client.namespace)
    history = await plain.get_workflow_handle(started.json()["temporal_workflow_id"]).fetch_history()
    return history.events[0].workflow_execution_started_event_attributes.input.payloads[0]


async def test_an_admin_decodes_a_stored_payload(api, client, make_user, admin_headers):
    _, headers = await make_user()
    value = f"planted-{uuid.uuid4().hex}"
    sealed = await stored_input(api, client, headers, value)
    assert sealed.metadata["encoding"] == ENCODING and value.encode() not in sealed.data

    decoded = await api.post(DECODE, json={"payloads": [wire(sealed)]}, headers=admin_headers)
    assert decoded.status_code == 200, decoded.text
    [plain] = decoded.json()["payloads"]
    assert base64.b64decode(plain["metadata"]["encoding"]) == b"json/plain"
    assert value in base64.b64decode(plain["data"]).decode()


async def test_anonymous_callers_and_non_admins_are_refused(api, client, make_user):
    _, headers = await make_user()
    sealed = await stored_input(api, client, headers, f"planted-{uuid.uuid4().hex}")
    body = {"payloads": [wire(sealed)]}
    for path in (DECODE, ENCODE):
        assert_error(await api.post(path, json=body), 401, "unauthorized")
        # The run's own owner too: a payload names no owner, so decode is an operator's power.
        assert_error(await api.post(path, json=body, headers=headers), 403, "insufficient_scope")
    admin_without_scope = await login(api, "admin", ADMIN_PASSWORD, "read")
    assert_error(await api.post(DECODE, json=body, headers=admin_without_scope), 403, "insufficient_scope")


async def test_encode_then_decode_and_plaintext_passes_through(api, admin_headers):
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'{"x": 1}')
    encoded = await api.post(ENCODE, json={"payloads": [wire(original)]}, headers=admin_headers)
    assert encoded.status_code == 200, encoded.text
    [sealed] = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING and KEY_ID in sealed["metadata"]
    decoded = await api.post(DECODE, json={"payloads": [sealed, wire(original)]}, headers=admin_headers)
    assert [unwire(p) for p in decoded.json()["payloads"]] == [original, original]


async def test_bad_bodies_are_clear_422s(api, admin_headers):
    foreign = (await EncryptionCodec(parse_keys([new_key_entry()])).encode([Payload(data=b"x")]))[0]
    cases = [
        ({}, "validation_error"),
        ({"payloads": [{"metadata": {"encoding": "not base64!"}, "data": ""}]}, "validation_error"),
        ({"payloads": [{"data": "@@"}]}, "validation_error"),
        ({"payloads": [], "extra": 1}, "validation_error"),
        ({"payloads": [wire(foreign)]}, "payload_undecryptable"),  # a key this installation never held
    ]
    for body, code in cases:
        assert_error(await api.post(DECODE, json=body, headers=admin_headers), 422, code)


async def test_cors_answers_the_web_ui_origin_only(api, admin_headers):
    preflight = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-namespace"}
    answer = await api.options(DECODE, headers=preflight)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "x-namespace" in answer.headers["access-control-allow-headers"]
    posted = await api.post(DECODE, json={"payloads": []}, headers={**admin_headers, "Origin": UI_ORIGIN})
    assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == UI_ORIGIN
    refused = await api.post(DECODE, json={"payloads": []}, headers={"Origin": UI_ORIGIN})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == UI_ORIGIN

    other = {**preflight, "Origin": "http://evil.example"}
    assert "access-control-allow-origin" not in (await api.options(DECODE, headers=other)).headers
    elsewhere = await api.options("/api/v1/workflows", headers={**preflight, "Origin": UI_ORIGIN})
    assert "access-control-allow-origin" not in elsewhere.headers  # no other route is cross-origin


async def test_the_ui_gate_forwards_the_codec_with_the_operator_s_credential(app, api, client, make_user):
    _, headers = await make_user()
    value = f"planted-{uuid.uuid4().hex}"
    body = {"payloads": [wire(await stored_input(api, client, headers, value))]}

    def gate(env: dict[str, str]) -> httpx.AsyncClient:
        application = create_gate("http://127.0.0.1:9", "http://api", env,
                                   codec_transport=httpx.ASGITransport(app=app))
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://gate")

    async with gate({"AGENTIC_ADMIN_USERNAME": "admin", "AGENTIC_ADMIN_PASSWORD": ADMIN_PASSWORD}) as ui:
        decoded = await ui.post("/codec/decode", json=body)
        assert decoded.status_code == 200, decoded.text
        assert value in base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
        # Only JSON: another site's page may POST text/plain without a preflight.
        text = await ui.post("/codec/decode", content=b'{"payloads": []}', headers={"content-type": "text/plain"})
        assert_error(text, 415, "unsupported_media_type")
        # A credential the browser sends is the one used: a user's is refused.
        assert_error(await ui.post("/codec/decode", json=body, headers=headers), 403, "insufficient_scope")
    async with gate({}) as ui:  # no operator credential: the UI shows payloads as stored
        assert_error(await ui.post("/codec/decode", json=body), 401, "unauthorized")
