"""The `approval_changed` activity: keeps the approvals mirror in PostgreSQL in
step with the workflow (which is the truth) and tells an optional webhook.

A webhook failure is logged and swallowed: it must never block an approval.
The webhook goes through the guarded client (outbound/) like any node's
request: an internal receiver must be opened in AGENTIC_OUTBOUND_ALLOW.
Notifications may arrive out of order (retries, concurrent events), so the
mirror only moves forward: a state with fewer votes/escalations, or a pending
state after a decision, never overwrites a later one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from core.db.models import Approval, Execution, User
from core.db.session import make_engine
from core.settings import Settings
from outbound import DestinationNotAllowed, Outbound
from workflows.approvals import ApprovalChanged, ApprovalState

log = logging.getLogger(__name__)
APPROVAL_ACTIVITY = "approval_changed"
WEBHOOK_TIMEOUT_S = 5.0
# How far along a state is; the mirror never goes back.
RANK_SQL = ("(CASE WHEN approvals.status <> 'pending' THEN 1000000 ELSE 0 END"
            " + COALESCE(jsonb_array_length(approvals.state->'votes'), 0) * 1000"
            " + COALESCE((approvals.state->>'escalations')::int, 0))")


def rank(state: ApprovalState) -> int:
    return (1_000_000 if state.status != "pending" else 0) + len(state.votes) * 1000 + state.escalations


def approval_link(settings: Settings, approval_id: str) -> str:
    return f"{settings.public_api_url.rstrip('/')}/api/v1/enterprise/approvals/{quote(approval_id, safe=':')}"


def _ts(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


async def write_mirror(conn: Any, change: ApprovalChanged) -> None:
    """Upserts the mirror row (and a placeholder execution row for runs started
    outside the API); a state older than the stored one changes nothing."""
    state = change.state
    closing = [v for v in state.votes if state.status != "pending"]
    last = closing[-1] if closing else None
    values: dict[str, Any] = {
        "approvers": state.approvers, "status": state.status, "quorum": state.quorum,
        "instructions": state.instructions, "state": state.model_dump(mode="json"),
        "temporal_workflow_id": change.workflow_id, "temporal_run_id": change.run_id,
        "timeout_at": _ts(state.timeout_at), "decided_at": _ts(state.decided_at),
        "comment": last.comment if last else None,
        "decided_by": select(User.id).where(User.username == last.user).scalar_subquery() if last else None,
        "updated_at": datetime.now(UTC),
    }
    # An approval inside a sub-workflow ("<execution>.<node>") belongs to the
    # top execution (its owner, its listing); decisions go to the child's workflow id.
    root = state.execution_id.split(".", 1)[0]
    nested = root != state.execution_id
    placeholder = insert(Execution).values(
        id=root, temporal_workflow_id=change.workflow_id.split(".", 1)[0],
        temporal_run_id=None if nested else change.run_id,
        inputs={}, status="running", started_by=state.started_by,
    ).on_conflict_do_nothing()
    upsert = insert(Approval).values(
        id=state.approval_id, execution_id=root, node_id=state.approval_id[len(root) + 1:][:64],
        created_at=_ts(state.requested_at), **values,
    ).on_conflict_do_update(
        index_elements=[Approval.id], set_=values,
        where=literal_column(RANK_SQL) <= rank(state),
    )
    await conn.execute(placeholder)
    await conn.execute(upsert)


class ApprovalNotifier:
    def __init__(self, settings: Settings, outbound: Outbound | None = None):
        self.settings = settings
        self.outbound = outbound or Outbound(settings)
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    async def engine(self) -> AsyncEngine:
        async with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.settings.database_url or "", pool_size=5)
            return self._engine

    async def changed(self, change: ApprovalChanged) -> None:
        if self.settings.database_url:
            await self.mirror(change)
        if self.settings.approval_webhook_url and change.notify:
            await self.webhook(change)

    async def mirror(self, change: ApprovalChanged) -> None:
        async with (await self.engine()).begin() as conn:
            await write_mirror(conn, change)

    async def webhook(self, change: ApprovalChanged) -> None:
        state = change.state
        body = {
            "event": change.event, "approval_id": state.approval_id, "execution_id": state.execution_id,
            "node_id": state.node_id, "status": state.status, "approvers": state.approvers,
            "quorum": state.quorum, "instructions": state.instructions, "timeout_at": state.timeout_at,
            "escalations": state.escalations, "link": approval_link(self.settings, state.approval_id),
        }
        try:
            async with self.outbound.http_client() as http:
                response = await http.post(self.settings.approval_webhook_url or "", json=body,
                                           timeout=WEBHOOK_TIMEOUT_S)
                response.raise_for_status()
        except Exception as err:  # noqa: BLE001 - never block the approval on a webhook
            log.warning("approval webhook for %s (%s) failed: %s", state.approval_id, change.event, _said(err))


def _said(err: Exception) -> str:
    """The failure without the URL: a webhook URL often carries its token."""
    if isinstance(err, DestinationNotAllowed):
        return str(err)  # host and port only
    if isinstance(err, httpx.HTTPStatusError):
        return f"answered {err.response.status_code}"
    return type(err).__name__


def approval_activities(settings: Settings, outbound: Outbound | None = None) -> list[Callable]:
    notifier = ApprovalNotifier(settings, outbound)

    @activity.defn(name=APPROVAL_ACTIVITY)
    async def approval_changed(change: ApprovalChanged) -> None:
        await notifier.changed(change)

    return [approval_changed]
