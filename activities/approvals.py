"""The `approval_changed` activity: writes the approvals mirror in PostgreSQL
(core/approvals_mirror.py, which only moves forward) and tells an optional webhook.

A webhook failure is logged and swallowed: it must never block an approval.
The webhook goes through the guarded client (outbound/) like any node's
request: an internal receiver must be opened in AGENTIC_OUTBOUND_ALLOW.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from core.approvals_mirror import approval_link, write_mirror
from core.db.session import make_engine
from core.settings import Settings
from outbound import DestinationNotAllowed, Outbound
from workflows.approvals import ApprovalChanged

log = logging.getLogger(__name__)
APPROVAL_ACTIVITY = "approval_changed"
WEBHOOK_TIMEOUT_S = 5.0


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
