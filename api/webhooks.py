"""Webhooks' secrets and deliveries: the URL token (only its SHA-256 is
stored: the token holds 256 random bits, so a fast hash is enough and lets the
hook find its row by index), the signing secret (sealed with the credentials
store's envelope encryption, bound to the webhook's id), and how a delivery
becomes run inputs."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from api.errors import ApiError
from core.db.models import Webhook
from credentials.crypto import Keyring, Sealed, rewrap, seal, unseal

TOKEN_PREFIX = "wh_"
# What a token looks like; anything else is not looked up.
TOKEN_PATTERN = re.compile(r"^wh_[A-Za-z0-9_-]{43}$")
# A delivery id names one delivery of the sender (GitHub's, or any sender's Idempotency-Key).
DELIVERY_HEADERS = ("x-github-delivery", "idempotency-key")
DELIVERY_PATTERN = re.compile(r"^[\x21-\x7e]{1,150}$")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _aad(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


def set_secret(row: Webhook, secret: str, keyring: Keyring) -> None:
    """`row.id` must be set: it is bound into the ciphertext."""
    sealed = seal(secret, keyring, aad=_aad(row.id))
    row.secret_ciphertext, row.secret_nonce = sealed.ciphertext, sealed.nonce
    row.secret_wrapped_key, row.secret_wrap_nonce, row.secret_kek_id = (
        sealed.wrapped_key, sealed.wrap_nonce, sealed.kek_id)


def _sealed(row: Webhook) -> Sealed:
    return Sealed(ciphertext=row.secret_ciphertext, nonce=row.secret_nonce, wrapped_key=row.secret_wrapped_key,
                  wrap_nonce=row.secret_wrap_nonce, kek_id=row.secret_kek_id)


def secret_of(row: Webhook, keyring: Keyring) -> str | None:
    if row.secret_ciphertext is None:
        return None
    return unseal(_sealed(row), keyring, aad=_aad(row.id))


async def rewrap_secrets(session: AsyncSession, keyring: Keyring, batch: int = 500) -> int:
    """After a master-key rotation (`agentic rewrap-secrets`): every signing
    secret still wrapped by a retired key moves to the current one."""
    changed = 0
    while True:
        rows = (await session.scalars(select(Webhook).where(
            Webhook.secret_kek_id.is_not(None), Webhook.secret_kek_id != keyring.current.id,
        ).order_by(Webhook.id).limit(batch).with_for_update())).all()
        if not rows:
            return changed
        for row in rows:
            moved = rewrap(_sealed(row), keyring, aad=_aad(row.id))
            if moved is not None:
                row.secret_wrapped_key, row.secret_wrap_nonce, row.secret_kek_id = (
                    moved.wrapped_key, moved.wrap_nonce, moved.kek_id)
                changed += 1
        await session.commit()


def delivery_id(headers: Headers) -> str | None:
    """The sender's id of this delivery: the same id again is the same delivery."""
    for name in DELIVERY_HEADERS:
        if (value := headers.get(name)) is not None:
            if not DELIVERY_PATTERN.match(value):
                raise ApiError(422, "validation_error", "the delivery id is invalid",
                               [{"code": "invalid_delivery_id", "path": f"$.headers.{name}",
                                 "message": "1-150 printable ASCII characters without spaces"}])
            return value
    return None


def inputs_of(row: Webhook, body: bytes, headers: Headers) -> dict[str, Any]:
    """The run's inputs: the JSON body (an object, or anything under
    `body_input`), plus the mapped headers. The workflow's inputs schema
    checks the result (starts.prepare)."""
    payload = _json(body)
    if row.body_input:
        inputs: dict[str, Any] = {row.body_input: payload}
    elif isinstance(payload, dict):
        inputs = dict(payload)
    elif payload is None:
        inputs = {}
    else:
        raise ApiError(422, "invalid_inputs", "the body must be a JSON object (or set body_input)",
                       [{"code": "not_an_object", "path": "$.body", "message": "expected a JSON object"}])
    for header, name in row.header_inputs.items():
        if (value := headers.get(header)) is not None:
            inputs[name] = value
    return inputs


def _json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None


def request_digest(row: Webhook, inputs: dict[str, Any]) -> str:
    """What makes two deliveries with one delivery id the same request."""
    request = {"webhook_id": row.id, "version": row.version, "inputs": inputs}
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def idempotency_key(row: Webhook, delivery: str) -> str:
    """The execution's Idempotency-Key for a delivery: unique per owner, like
    the API's keys, so a redelivery joins the first delivery's execution."""
    return f"webhook:{row.id}:{delivery}"
