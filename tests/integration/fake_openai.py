"""A small OpenAI-compatible fake: POST /v1/chat/completions, served by uvicorn
in a background thread on a free port. It records every request and answers
from a script of replies, so tests can drive the real `openai` client."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEFAULT_USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


@dataclass
class Reply:
    """One scripted answer: a completion with `content`, or an error `status`."""

    content: str | None = "ok"
    status: int = 200
    error_message: str = "scripted error"
    model: str | None = None  # default: echo the requested model
    usage: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_USAGE))
    finish_reason: str = "stop"


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Replies are served in order; the last one repeats."""
        with self._lock:
            self._script = [Reply(content=r) if isinstance(r, str) else r for r in replies]

    def _next(self) -> Reply:
        with self._lock:
            if not self._script:
                return Reply()
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(RecordedRequest(path=request.url.path, headers=dict(request.headers),
                                             body=body, at=time.monotonic()))
        reply = self._next()
        if reply.status != 200:
            return JSONResponse({"error": {"message": reply.error_message, "type": "invalid_request_error",
                                           "param": None, "code": None}}, status_code=reply.status)
        return JSONResponse({
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": reply.model or body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                         "finish_reason": reply.finish_reason, "logprobs": None}],
            "usage": reply.usage,
        })

    def start(self) -> FakeOpenAI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
