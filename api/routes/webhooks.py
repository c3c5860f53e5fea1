"""/api/v1/workflows/{id}/webhooks: a workflow's inbound triggers (create,
list, read, rotate, delete). Webhooks follow workflow ownership: the owner or
an admin manages them, anyone else gets 404; runs they start act as the
workflow's owner. The deliveries themselves arrive at api/routes/hooks.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import func, select

from api import webhooks as wh
from api.access import load_workflow
from api.deps import DeleteUser, Principal, ReadUser, SessionDep, StateDep, WriteUser
from api.errors import ApiError, not_found
from api.schemas.common import Page, ResourceId
from api.schemas.webhooks import WebhookCreate, WebhookCreated, WebhookPublic, WebhookRotate
from core.db.base import new_id
from core.db.models import Webhook, WorkflowVersion
from credentials.keys import keyring

router = APIRouter(prefix="/api/v1/workflows/{workflow_id}/webhooks", tags=["webhooks"])
WebhookId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _load(session, principal: Principal, workflow_id: str, webhook_id: str, *, lock: bool = False) -> Webhook:
    wf = await load_workflow(session, principal, workflow_id)
    stmt = select(Webhook).where(Webhook.id == webhook_id, Webhook.workflow_id == wf.id,
                                 Webhook.revoked_at.is_(None))
    row = await session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise not_found("webhook")
    return row


def _created(row: Webhook, token: str, secret: str | None, state) -> WebhookCreated:
    return WebhookCreated.of(row, token=token, url=f"{state.settings.public_api_url.rstrip('/')}/hooks/{token}",
                             signing_secret=secret)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated,
             responses={422: {"description": "no such version, or an invalid mapping"}})
async def create_webhook(workflow_id: ResourceId, body: WebhookCreate, principal: WriteUser,
                         session: SessionDep, state: StateDep, request: Request) -> WebhookCreated:
    wf = await load_workflow(session, principal, workflow_id)
    if body.version is not None and await session.scalar(select(WorkflowVersion.id).where(
            WorkflowVersion.workflow_id == wf.id, WorkflowVersion.version == body.version)) is None:
        raise ApiError(422, "validation_error", "no such version of the workflow",
                       [{"code": "unknown_version", "path": "$.version",
                         "message": f"workflow {wf.id} has no version {body.version}"}])
    token = wh.new_token()
    row = Webhook(id=new_id(), workflow_id=wf.id, owner_id=wf.owner_id,  # follows the workflow's owner
                  name=body.name, version=body.version, token_hash=wh.token_hash(token),
                  body_input=body.body_input, header_inputs=body.header_inputs,
                  rate_limit_per_minute=body.rate_limit_per_minute)
    generated = None
    if body.signature is not None:
        row.signature, row.tolerance_s = body.signature.style, body.signature.tolerance_s
        secret = body.signature.secret or (generated := wh.new_signing_secret())
        wh.set_secret(row, secret, keyring(state.settings))
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("webhooks", row.id)
    return _created(row, token, generated, state)


@router.get("", response_model=Page[WebhookPublic])
async def list_webhooks(workflow_id: ResourceId, principal: ReadUser, session: SessionDep,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50,
                        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict:
    wf = await load_workflow(session, principal, workflow_id)
    stmt = select(Webhook).where(Webhook.workflow_id == wf.id, Webhook.revoked_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(Webhook.created_at.desc(), Webhook.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [WebhookPublic.of(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/{webhook_id}", response_model=WebhookPublic)
async def get_webhook(workflow_id: ResourceId, webhook_id: WebhookId, principal: ReadUser,
                      session: SessionDep) -> WebhookPublic:
    return WebhookPublic.of(await _load(session, principal, workflow_id, webhook_id))


@router.post("/{webhook_id}/rotate", response_model=WebhookCreated)
async def rotate_webhook(workflow_id: ResourceId, webhook_id: WebhookId, principal: WriteUser,
                         session: SessionDep, state: StateDep,
                         body: WebhookRotate | None = None) -> WebhookCreated:
    """A new token (the old one answers 404 from now on); optionally a new signing secret."""
    row = await _load(session, principal, workflow_id, webhook_id, lock=True)
    token = wh.new_token()
    row.token_hash, row.rotated_at = wh.token_hash(token), datetime.now(UTC)
    generated = None
    if body is not None and body.signing_secret:
        if row.signature == "none":
            raise ApiError(409, "unsigned_webhook", "this webhook verifies no signature: it has no secret")
        wh.set_secret(row, generated := wh.new_signing_secret(), keyring(state.settings))
    await session.commit()
    return _created(row, token, generated, state)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_webhook(workflow_id: ResourceId, webhook_id: WebhookId, principal: DeleteUser,
                         session: SessionDep) -> Response:
    """Revokes it: its token answers 404 from now on; runs it started are untouched."""
    row = await _load(session, principal, workflow_id, webhook_id, lock=True)
    row.revoked_at = datetime.now(UTC)
    row.secret_ciphertext = row.secret_nonce = row.secret_wrapped_key = row.secret_wrap_nonce = None
    row.secret_kek_id = None
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
