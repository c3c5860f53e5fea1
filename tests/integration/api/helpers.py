"""Small waits shared by the API tests."""

from __future__ import annotations

import asyncio
import time

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
