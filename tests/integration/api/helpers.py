"""Small waits shared by the API tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter

import httpx

FINISHED = {"succeeded", "failed", "cancelled", "terminated", "timed_out"}


async def wait_finished(api: httpx.AsyncClient, execution_id: str, headers: dict,
                        timeout_s: float = 30) -> dict:
    """Polls until the summary row in PostgreSQL is final (written by the workflow)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await api.get(f"/api/v1/executions/{execution_id}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in FINISHED and not body["live"]:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"execution {execution_id} did not finish: {body}")


class ScriptedServer:
    """Counts requests per path and answers with the status scripted for the
    path (200 unless told otherwise)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.status: dict[str, int] = {}
        self.delay: dict[str, float] = {}
        self.server: asyncio.AbstractServer | None = None

    def status_for(self, path: str) -> int:
        return self.status.get(path, 200)

    @property
    def base(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> ScriptedServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader, writer) -> None:
        with contextlib.suppress(Exception):
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode().split("?")[0]
            self.hits[path] += 1
            code = self.status_for(path)
            await asyncio.sleep(self.delay.get(path, 0))
            body = json.dumps({"path": path, "n": self.hits[path]}).encode()
            writer.write(f"HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                         f"connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()
