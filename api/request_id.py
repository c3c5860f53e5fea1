"""Gives every HTTP request an id: the caller's X-Request-ID when it is a
plain token, else a new one. It is bound to the request's log records
(core/logs.py) and answered in the X-Request-ID header."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import logs

HEADER = b"x-request-id"
# A caller's id goes into logs: only a short token of safe characters is kept.
ACCEPTED = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(HEADER, b"")
        request_id = given.decode() if ACCEPTED.match(given) else uuid.uuid4().hex

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        with logs.bound(request_id=request_id, user_id=None, execution_id=None, node_id=None):
            await self.app(scope, receive, with_header)
