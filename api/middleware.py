"""Pure ASGI middleware: the body size limit and the audit log."""

from __future__ import annotations

import json
import logging

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.state import AppState
from core.db.models import AuditLog

log = logging.getLogger(__name__)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CREDENTIAL_PARAMS = frozenset({"token"})


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


class BodyLimitMiddleware:
    """Rejects bodies above the limit with 413, whether announced by
    Content-Length or streamed in chunks, before any handler reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._reject(send)
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = _error_body("body_too_large", f"the request body exceeds {self.max_bytes} bytes")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it (any other error
    there becomes a 400) and the error handlers render the one error shape."""

    def __init__(self, max_bytes: int):
        super().__init__(413, f"the request body exceeds {max_bytes} bytes")


class AuditMiddleware:
    """Writes one audit_log row per mutating call, whatever its outcome. Handlers
    name the resource they created via scope["agentic.resource"] = (type, id); the actor
    is set by the auth dependency."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            return await self.app(scope, receive, send)
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await self._write(scope, status)

    async def _write(self, scope: Scope, status: int) -> None:
        state: AppState | None = getattr(scope["app"].state, "agentic", None) if "app" in scope else None
        if state is None:
            return
        route = scope.get("route")
        template = getattr(route, "path", scope["path"])
        params = scope.get("path_params") or {}
        actor_id, actor_name = scope.get("agentic.actor", (None, None))
        # A path parameter that is a credential (a webhook's token) never names the resource.
        named = next((v for k, v in params.items() if k not in CREDENTIAL_PARAMS), None)
        resource_type, resource_id = scope.get("agentic.resource", (_resource_type(template), named))
        row = AuditLog(
            actor_id=actor_id, actor_name=actor_name,
            action=f"{scope['method']} {template}",
            resource_type=resource_type, resource_id=resource_id,
            outcome="success" if status < 400 else "denied" if status in (401, 403, 404) else "error",
            status_code=status,
        )
        try:
            async with state.sessions.begin() as session:
                session.add(row)
        except Exception:  # noqa: BLE001 - the response is already sent; log and go on
            log.exception("could not write the audit row for %s", row.action)


def _resource_type(template: str) -> str | None:
    parts = [p for p in template.split("/") if p and not p.startswith("{")]
    return parts[2] if len(parts) > 2 and parts[0] == "api" else (parts[0] if parts else None)
