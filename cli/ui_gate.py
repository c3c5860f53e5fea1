"""A read-only gate in front of the dev server's Temporal Web UI.

`temporal server start-dev` has no switch for the UI's write actions, and the
UI's HTTP API accepts terminate, signal, update, reset and start for anyone who
can reach it (its CSRF check compares a cookie with a header, both of which a
client can set). `make run` therefore serves the UI through this gate: reads
pass, queries pass (read-only), every other write is refused with 403, and the
UI's settings say write actions are disabled so it hides their buttons.
With `--codec-api`, it also serves the UI's codec endpoint, `/codec/decode`
and `/codec/encode`, forwarded to the platform's API (cli/ui_codec.py).

`python -m cli.ui_gate --port 8233 --upstream http://127.0.0.1:8234`
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cli.ui_codec import CODEC_PATHS, CodecForwarder

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs the UI makes that change nothing: workflow queries (the stack trace
# and the "Queries" tab).
READ_ONLY_POSTS = re.compile(r"^/api/v1/namespaces/[^/]+/workflows/[^/]+(/runs/[^/]+)?/query/[^/]+$")
SETTINGS_PATH = "/api/v1/settings"
WRITES_OFF = {"DisableWriteActions": True, "WorkflowTerminateDisabled": True, "WorkflowCancelDisabled": True,
              "WorkflowSignalDisabled": True, "WorkflowUpdateDisabled": True, "WorkflowResetDisabled": True,
              "WorkflowPauseDisabled": True, "BatchActionsDisabled": True, "StartWorkflowDisabled": True,
              "ActivityCommandsDisabled": True}
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host",
                         "proxy-authorization", "proxy-connection", "content-length"})


def allowed(method: str, path: str) -> bool:
    return method in READ_METHODS or (method == "POST" and bool(READ_ONLY_POSTS.match(path)))


def create_gate(upstream: str, codec_api: str | None = None, env: dict[str, str] | None = None,
                codec_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=60, follow_redirects=False)
    codec = CodecForwarder(codec_api, env, codec_transport) if codec_api else None

    async def forward(request: Request) -> Response:
        path = request.url.path
        if codec is not None and path in CODEC_PATHS:
            return await codec.forward(request)
        if not allowed(request.method, path):
            return JSONResponse({"error": {"code": "ui_read_only", "message":
                                 "write actions are off in this Temporal Web UI (make run); use the "
                                 "platform's API, or start make run with AGENTIC_TEMPORAL_UI_WRITE=1",
                                 "details": []}}, status_code=403)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS]
        upstream_request = client.build_request(request.method, path, params=request.url.query,
                                                headers=headers, content=await request.body())
        response = await client.send(upstream_request, stream=True)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        if path == SETTINGS_PATH and response.status_code == 200:
            settings = json.loads(await response.aread())
            await response.aclose()
            out_headers.pop("content-encoding", None)
            return JSONResponse({**settings, **WRITES_OFF}, headers=out_headers)
        return StreamingResponse(response.aiter_raw(), status_code=response.status_code, headers=out_headers,
                                 background=BackgroundTask(response.aclose))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await client.aclose()
        if codec is not None:
            await codec.aclose()

    methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="the UI the dev server serves, e.g. http://127.0.0.1:8234")
    parser.add_argument("--codec-api", help="the platform's API, e.g. http://127.0.0.1:8000: serve /codec/* from it")
    args = parser.parse_args()
    uvicorn.run(create_gate(args.upstream, args.codec_api), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
