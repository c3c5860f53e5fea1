"""How a delivery becomes run inputs (api/webhooks.py): the body object, or
the body under `body_input`, plus mapped headers; tokens are long, random and
stored only as their hash."""

from __future__ import annotations

import hashlib

import pytest
from starlette.datastructures import Headers

from api import webhooks
from api.errors import ApiError
from core.db.models import Webhook


def hook(**fields) -> Webhook:
    return Webhook(id="h1", version=None, body_input=fields.get("body_input"),
                   header_inputs=fields.get("header_inputs", {}))


def test_the_body_object_is_the_inputs_and_headers_are_added():
    headers = Headers({"x-github-event": "push", "x-other": "no"})
    inputs = webhooks.inputs_of(hook(header_inputs={"x-github-event": "event"}), b'{"ref": "main"}', headers)
    assert inputs == {"ref": "main", "event": "push"}


def test_body_input_takes_any_json_and_an_empty_body_is_no_inputs():
    assert webhooks.inputs_of(hook(body_input="payload"), b"[1, 2]", Headers({})) == {"payload": [1, 2]}
    assert webhooks.inputs_of(hook(), b"  ", Headers({})) == {}
    assert webhooks.inputs_of(hook(header_inputs={"x-a": "a"}), b"", Headers({})) == {}  # header not sent


@pytest.mark.parametrize(("body", "status", "code"), [(b"[1]", 422, "invalid_inputs"), (b'"s"', 422, "invalid_inputs"),
                                                      (b"{oops", 400, "malformed_json"), (b"\xff", 400, "malformed_json")])
def test_bodies_that_cannot_be_inputs(body, status, code):
    with pytest.raises(ApiError) as err:
        webhooks.inputs_of(hook(), body, Headers({}))
    assert (err.value.status, err.value.code) == (status, code)


def test_delivery_ids():
    assert webhooks.delivery_id(Headers({"x-github-delivery": "abc-1", "idempotency-key": "k"})) == "abc-1"
    assert webhooks.delivery_id(Headers({"idempotency-key": "k"})) == "k"
    assert webhooks.delivery_id(Headers({})) is None
    for bad in ("a b", "x" * 151):
        with pytest.raises(ApiError):
            webhooks.delivery_id(Headers({"idempotency-key": bad}))


def test_tokens_are_random_match_their_pattern_and_hash():
    first, second = webhooks.new_token(), webhooks.new_token()
    assert first != second and webhooks.TOKEN_PATTERN.match(first) and webhooks.TOKEN_PATTERN.match(second)
    assert webhooks.token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
