"""POST /hooks/{token}: a delivery to a webhook starts a run of its workflow.

No JWT: the URL's token (looked up by its hash) and, when the webhook has
one, the sender's signature authenticate the delivery. The run goes through
the one start pipeline (`starts.prepare` / `new_row` / `accept`) acting as the
webhook's owner. In order: unknown or revoked token 404, over the webhook's
rate limit 429, body too large 413, bad signature 401, inputs that do not fit
the workflow's inputs schema 422; a delivery id seen before answers the same
execution. The token never reaches a log or the audit row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api import starts, waiting
from api import webhooks as wh
from api.deps import Principal, SessionDep, StateDep
from api.errors import ApiError, not_found
from api.hook_signatures import BadSignature, verify
from api.routes.executions import get_result
from api.schemas.executions import ExecutionAccepted
from api.throttle import rate_limited
from core.db.models import Execution, User, Webhook, Workflow
from credentials.crypto import CryptoError
from credentials.keys import keyring

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
HookToken = Annotated[str, Path(description="the token of the webhook's URL (anything else than a token: 404)")]
RESPONSES: dict[int | str, dict] = {
    **waiting.WAIT_RESPONSES,
    401: {"description": "the signature is missing, wrong or expired"},
    404: {"description": "no webhook has this token (never had, rotated or deleted)"},
    422: {"description": "the delivery does not fit the workflow's inputs schema"},
    429: {"description": "over the webhook's rate limit (Retry-After)"},
}


@router.post("/hooks/{token}", status_code=status.HTTP_202_ACCEPTED, response_model=ExecutionAccepted,
             responses=RESPONSES)
async def deliver(token: HookToken, request: Request, session: SessionDep, state: StateDep,
                  wait: waiting.WaitSeconds = 0) -> ExecutionAccepted | JSONResponse:
    request.scope["agentic.resource"] = ("webhooks", None)  # the audit row never names the token
    hook, owner, wf = await _live(session, token)
    request.scope["agentic.resource"] = ("webhooks", hook.id)
    request.scope["agentic.actor"] = (owner.id, owner.username)
    if (wait_s := state.webhook_deliveries.hit(hook.id, hook.rate_limit_per_minute)) is not None:
        raise rate_limited("too many deliveries to this webhook", wait_s)
    body = await request.body()
    if len(body) > state.settings.webhook_max_body_bytes:
        raise ApiError(413, "body_too_large", f"a delivery may have at most {state.settings.webhook_max_body_bytes} "
                                              "bytes")
    try:
        secret = wh.secret_of(hook, keyring(state.settings))
    except CryptoError:  # its master key was removed before `agentic rewrap-secrets` moved it
        log.error("webhook %s: its signing secret does not decrypt with the configured master keys", hook.id)
        raise ApiError(503, "secret_store_error", "the webhook's signing secret cannot be read; "
                                                  "the operator must restore its master key") from None
    try:
        verify(hook.signature, secret, request.headers, body, tolerance_s=hook.tolerance_s)
    except BadSignature as err:
        raise ApiError(401, err.code, str(err)) from None
    inputs = wh.inputs_of(hook, body, request.headers)
    delivery = wh.delivery_id(request.headers)
    key = wh.idempotency_key(hook, delivery) if delivery else None
    digest = wh.request_digest(hook, inputs)
    if key and (same := await _by_key(session, owner.id, key)):
        return await _answer(session, state, owner, same, wait, digest)
    principal = Principal(user=owner, scopes=frozenset({"read", "execute", *(["admin"] if owner.is_admin else [])}))
    prepared = await starts.prepare(session, principal, wf, hook.version, inputs, state.settings)
    # The delivery's provenance rides in the options (the reconciler starts the row as accepted).
    options = {"request": digest, "webhook": {"id": hook.id, "delivery": delivery}}
    row = starts.new_row(prepared, principal, trigger="webhook", idempotency_key=key, options=options)
    hook.last_delivery_at = datetime.now(UTC)
    owner_id = owner.id
    try:
        await starts.accept(session, state, request, row)
    except IntegrityError:  # a concurrent redelivery won
        await session.rollback()
        owner = await session.get(User, owner_id)  # the rollback expired it
        same = await _by_key(session, owner_id, key or "")
        if same is None:
            raise
        return await _answer(session, state, owner, same, wait, digest)
    return await _answer(session, state, owner, row, wait, digest)


async def _live(session, token: str) -> tuple[Webhook, User, Workflow]:
    """The webhook the token opens, its owner and workflow; 404 for anything
    that should not start a run (unknown, rotated or revoked token, deleted
    workflow, disabled owner), all alike."""
    hook = None
    if wh.TOKEN_PATTERN.match(token):
        hook = await session.scalar(select(Webhook).where(Webhook.token_hash == wh.token_hash(token),
                                                          Webhook.revoked_at.is_(None)))
    owner = await session.get(User, hook.owner_id) if hook else None
    wf = await session.get(Workflow, hook.workflow_id) if hook else None
    if hook is None or owner is None or owner.disabled or wf is None or wf.deleted_at is not None:
        raise not_found("webhook")
    return hook, owner, wf


async def _by_key(session, owner_id: str, key: str) -> Execution | None:
    return await session.scalar(select(Execution).where(
        Execution.owner_id == owner_id, Execution.idempotency_key == key))


async def _answer(session, state, owner: User, row: Execution, wait: int,
                  digest: str) -> ExecutionAccepted | JSONResponse:
    """202 with the execution (or its result when it finishes within `wait`).
    A delivery id reused for another request is refused, as an Idempotency-Key is."""
    if (row.options or {}).get("request") != digest:
        raise ApiError(422, "idempotency_key_reused",
                       "this delivery id was used for a different delivery; a new delivery needs a new id")
    accepted = ExecutionAccepted.from_row(row, state.settings)
    principal = Principal(user=owner, scopes=frozenset({"read"}))
    execution_id = row.id
    result = await waiting.result_within(session, state.temporal, row, wait,
                                         lambda: get_result(execution_id, principal, session, state))
    return accepted if result is None else waiting.finished(result)
