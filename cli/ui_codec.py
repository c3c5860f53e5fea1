"""The Web UI's codec endpoint in `make run`: the gate (cli/ui_gate.py) serves
`/codec/decode` and `/codec/encode` on the UI's own origin and forwards them
to the API's `/api/v1/codec/...`, which only admins may call.

The dev server's UI has no login of its own, so the browser has no platform
credential to send. The gate adds the operator's: the browser's own
`Authorization` header when it sends one, else `AGENTIC_UI_CODEC_API_KEY`
(an admin API key), else a token it gets by logging in as
`AGENTIC_ADMIN_USERNAME` with `AGENTIC_ADMIN_PASSWORD` (scopes `read admin`).
Without any of them the codec answers 401 and the UI shows payloads as
stored (encrypted). Whoever reaches the gate sees decoded data, as whoever
reached the UI did before payloads were encrypted: the gate listens on
loopback only.
"""

from __future__ import annotations

import os

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

CODEC_PATHS = frozenset({"/codec/decode", "/codec/encode"})


class CodecForwarder:
    def __init__(self, api_url: str, env: dict[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        env = dict(os.environ if env is None else env)
        self.client = httpx.AsyncClient(base_url=api_url.rstrip("/"), timeout=30, follow_redirects=False,
                                        transport=transport)
        self.api_key = env.get("AGENTIC_UI_CODEC_API_KEY") or None
        self.login = (env.get("AGENTIC_ADMIN_USERNAME", "admin"), env.get("AGENTIC_ADMIN_PASSWORD") or None)
        self.token: str | None = None

    async def forward(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "method_not_allowed", "the codec takes POST")
        # JSON only: another site's page can send a form or text/plain POST here
        # without a CORS preflight, never an application/json one.
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _error(415, "unsupported_media_type", "the codec takes application/json")
        body = await request.body()
        own = request.headers.get("authorization")
        response = await self._post(request.url.path, body, own or await self._credential())
        if response.status_code == 401 and not own and self.token:  # the cached token expired
            self.token = None
            response = await self._post(request.url.path, body, await self._credential())
        return Response(response.content, status_code=response.status_code,
                        media_type=response.headers.get("content-type"))

    async def _post(self, path: str, body: bytes, authorization: str | None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if authorization:
            headers["authorization"] = authorization
        return await self.client.post(f"/api/v1{path}", content=body, headers=headers)

    async def _credential(self) -> str | None:
        if self.api_key:
            return f"Bearer {self.api_key}"
        username, password = self.login
        if password is None:
            return None
        if self.token is None:
            answer = await self.client.post("/api/v1/auth/token", data={
                "username": username, "password": password, "scope": "read admin"})
            if answer.status_code != 200:
                return None
            self.token = answer.json()["access_token"]
        return f"Bearer {self.token}"

    async def aclose(self) -> None:
        await self.client.aclose()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": []}}, status_code=status)
