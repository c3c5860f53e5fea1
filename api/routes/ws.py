"""Live monitoring: WS /api/v1/ws/executions/{id} streams the execution's
events read from Temporal history by long poll (`wait_new_event`): a late
subscriber first gets everything that already happened; the socket closes
with the final status. Authenticate with `?token=` or `Authorization: Bearer`;
only the owner or an admin may watch (anyone else is refused at the handshake)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from temporalio.service import RPCError, RPCStatusCode

from api.access import owner_or_admin
from api.debugger.events import EventStream
from api.debugger.history import decoded, name
from api.deps import Principal, authenticate
from api.schemas.common import utc_iso
from core.db.models import Execution
from workflows.plan import GraphResult

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])
POLICY_VIOLATION = 1008
START_WAIT_S = 30.0


async def _principal(state, token: str | None) -> Principal | None:
    if not token:
        return None
    async with state.sessions() as session:
        principal = await authenticate(state.tokens, session, token)
    return principal if principal is not None and "read" in principal.scopes else None


def _token(websocket: WebSocket, token: str | None) -> str | None:
    if token:
        return token
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


@router.websocket("/api/v1/ws/executions/{execution_id}")
async def watch_execution(websocket: WebSocket, execution_id: str, token: str | None = None) -> None:
    state = websocket.app.state.agentic
    principal = await _principal(state, _token(websocket, token))
    row = None
    if principal is not None and len(execution_id) <= 64:
        async with state.sessions() as session:
            row = await session.get(Execution, execution_id)
    if row is None or principal is None or not owner_or_admin(principal, row.owner_id):
        await websocket.close(code=POLICY_VIOLATION)  # before accept: the handshake is refused (403)
        return
    await websocket.accept()
    pump = asyncio.create_task(_pump(websocket, state, row))
    listen = asyncio.create_task(_until_disconnect(websocket))
    done, pending = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if pump in done and (final := pump.result()) is not None:
        with contextlib.suppress(Exception):
            await websocket.close(code=1000, reason=final)


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _pump(websocket: WebSocket, state, row: Execution) -> str | None:
    client = state.temporal
    handle = client.get_workflow_handle(row.temporal_workflow_id, run_id=row.temporal_run_id)
    stream = EventStream()
    announced: set[str] = set()
    waited = 0.0
    # Between workflow tasks: after a WorkflowTaskCompleted and the commands
    # recorded after it (a pure node's local-activity marker among them),
    # until the next task is scheduled. Only then can a node be held.
    between_tasks = False
    while True:
        events = handle.fetch_history_events(wait_new_event=True)
        try:
            async for event in events:
                for item in stream.feed(await decoded(client, event)):
                    await websocket.send_json(item)
                if stream.final:
                    return stream.final
                kind = name(event)
                if kind in ("WorkflowTaskCompleted", "WorkflowTaskScheduled"):
                    between_tasks = kind == "WorkflowTaskCompleted"
                caught_up = events.current_page is not None and events.current_page_index >= len(events.current_page)
                if caught_up and between_tasks:
                    await _announce_pauses(websocket, handle, stream, announced, event)
            return stream.final
        except RPCError as err:
            # A row accepted but not started yet (the reconciler starts it): wait for it.
            if err.status != RPCStatusCode.NOT_FOUND or waited >= START_WAIT_S or stream.seq:
                await websocket.send_json({"type": "error", "message": err.message})
                return None
            await asyncio.sleep(0.5)
            waited += 0.5


async def _announce_pauses(websocket, handle, stream: EventStream, announced: set[str], event) -> None:
    """A live breakpoint holds a node without writing history: ask the workflow."""
    try:
        progress = await handle.query("progress", result_type=GraphResult)
    except RPCError:
        return
    announced &= set(progress.paused_at)  # resumed ones may pause again later
    for node_id in progress.paused_at:
        if node_id not in announced:
            announced.add(node_id)
            stream.seq += 1
            await websocket.send_json({"type": "paused", "node_id": node_id, "seq": stream.seq,
                                       "event_id": event.event_id, "at": utc_iso(progress.nodes[node_id].started_at)})
