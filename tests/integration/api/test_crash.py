"""The API is SIGKILLed during a burst of 50 concurrent starts. After a restart,
every execution that got a 202 exists in PostgreSQL and in Temporal and
finishes, and nothing in either is left without its twin."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
from sqlalchemy import select

from cli.devserver import free_port
from core.db.models import Execution
from core.temporal import SA_WORKFLOW_ID

from .conftest import ADMIN_PASSWORD, JWT_SECRET, ROOT
from .graphs import three_nodes

BURST = 50


def start_api(api_settings, port: int) -> subprocess.Popen:
    env = {**os.environ,
           "AGENTIC_DATABASE_URL": api_settings.database_url,
           "AGENTIC_TEMPORAL_ADDRESS": api_settings.temporal_address,
           "AGENTIC_TEMPORAL_TASK_QUEUE": api_settings.temporal_task_queue,
           "AGENTIC_JWT_SECRET": JWT_SECRET, "AGENTIC_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "AGENTIC_API_PORT": str(port), "AGENTIC_RECONCILE_GRACE_S": "1",
           "AGENTIC_RECONCILE_INTERVAL_S": "0.5"}
    return subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_live(base: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("the API did not come up")


async def test_sigkill_during_burst(api, app, client, api_worker, api_settings, make_user):
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_api(api_settings, port)
    try:
        await wait_live(base)
        accepted: list[str] = []
        async with httpx.AsyncClient(base_url=base, timeout=30,
                                     limits=httpx.Limits(max_connections=BURST)) as http:
            async def one() -> None:
                try:
                    response = await http.post(f"/api/v1/workflows/{wf['id']}/executions",
                                               json={"inputs": {"who": "k"}}, headers=headers)
                except httpx.TransportError:
                    return  # the connection died with the process: no promise was made
                if response.status_code == 202:
                    accepted.append(response.json()["id"])

            tasks = [asyncio.create_task(one()) for _ in range(BURST)]
            # Kill once some requests were answered and others are in flight.
            while len(accepted) < 5 and not all(t.done() for t in tasks):
                await asyncio.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            await asyncio.gather(*tasks)
        assert 5 <= len(accepted) < BURST, f"{len(accepted)} accepted: the kill missed the burst"
        async with app.state.agentic.sessions() as session:
            orphans = (await session.scalars(select(Execution.id).where(
                Execution.workflow_id == wf["id"], Execution.status == "pending"))).all()
        print(f"accepted {len(accepted)}, rows left pending by the kill: {len(orphans)}")

        process = start_api(api_settings, port)  # the restart: its reconciler cleans up
        await wait_live(base)
        rows = await wait_all_final(app, wf["id"])
    finally:
        process.kill()
        process.wait(timeout=10)

    by_id = {row.id: row for row in rows}
    assert set(accepted) <= set(by_id), "a 202 was answered for an execution that does not exist"
    assert all(row.status == "succeeded" for row in rows), {r.id: r.status for r in rows}
    temporal_ids = {wf_exec.id async for wf_exec in client.list_workflows(f'{SA_WORKFLOW_ID.name}="{wf["id"]}"')}
    assert temporal_ids == {row.temporal_workflow_id for row in rows}


async def wait_all_final(app, workflow_id: str, timeout_s: float = 60) -> list[Execution]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with app.state.agentic.sessions() as session:
            rows = list((await session.scalars(select(Execution).where(
                Execution.workflow_id == workflow_id))).all())
        if rows and all(r.status not in ("pending", "running") for r in rows):
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError({r.id: r.status for r in rows})
