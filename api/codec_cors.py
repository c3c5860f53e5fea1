"""CORS for the codec endpoints only: the Temporal Web UI calls them from the
browser, from its own origin (AGENTIC_TEMPORAL_UI_URL). No other route
answers cross-origin requests, and no other origin is allowed here."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODEC_PREFIX = "/api/v1/codec/"
ALLOWED_HEADERS = "authorization, content-type, x-namespace"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class CodecCorsMiddleware:
    def __init__(self, app: ASGIApp, ui_origin: str):
        self.app, self.ui_origin = app, ui_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CODEC_PREFIX):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if origin != self.ui_origin:
            await self.app(scope, receive, send)  # same-origin or server-side callers need no CORS
            return
        if scope["method"] == "OPTIONS":  # the preflight: answered here, before authentication
            await Response(status_code=204, headers={
                **self._headers(), "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": "600"})(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(self._headers())
            await send(message)

        await self.app(scope, receive, with_cors)

    def _headers(self) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": self.ui_origin, "Access-Control-Allow-Credentials": "true",
                "Vary": "Origin"}
