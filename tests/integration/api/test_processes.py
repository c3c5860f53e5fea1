"""Several API processes and workers: the reconciler's round runs in one
process at a time (an advisory lock), and two APIs and two workers, one of
each SIGKILLed during a burst of 100 starts, still finish every accepted
execution exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import httpx
from sqlalchemy import select

from api import reconciler
from cli.devserver import free_port
from core.db.models import Execution
from core.db.session import async_url
from core.temporal import SA_WORKFLOW_ID

from .conftest import ROOT
from .graphs import three_nodes
from .test_crash import start_api, wait_all_final, wait_live

BURST = 100


async def test_a_round_waits_for_the_process_holding_the_lock(app, client, api_settings):
    sessions = app.state.agentic.sessions
    holder = await asyncpg.connect(async_url(api_settings.database_url).replace("+asyncpg", ""))
    try:
        # The session's app runs rounds too (every second): take the lock between two of them.
        await asyncio.wait_for(take(holder), 30)
        assert await reconciler.round_as_leader(sessions, client, api_settings, datetime.now(UTC)) is None
        await holder.fetchval("SELECT pg_advisory_unlock($1)", reconciler.RECONCILER_LOCK)
        assert await reconciler.round_as_leader(sessions, client, api_settings, datetime.now(UTC)) is not None
        # The round let go of the lock: another process may take it now.
        await asyncio.wait_for(take(holder), 30)
    finally:
        await holder.close()


async def take(conn) -> None:
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", reconciler.RECONCILER_LOCK):
        await asyncio.sleep(0.05)


async def wait_pollers(base: str, count: int, timeout_s: float = 180) -> None:
    """Until Temporal lists `count` workers polling the queue (/health/dependencies says)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        async def enough() -> None:
            while True:
                workers = (await http.get("/health/dependencies")).json()["dependencies"]["workers"]
                if workers["details"].get("workflow_pollers", 0) >= count:
                    return
                await asyncio.sleep(0.2)
        await asyncio.wait_for(enough(), timeout_s)


def start_worker(api_settings, task_queue: str) -> subprocess.Popen:
    env = {**os.environ, "AGENTIC_DATABASE_URL": api_settings.database_url,
           "AGENTIC_TEMPORAL_ADDRESS": api_settings.temporal_address, "AGENTIC_TEMPORAL_TASK_QUEUE": task_queue}
    return subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_two_apis_two_workers_one_of_each_killed(api, app, client, api_settings, make_user):
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    queue = f"procs-{uuid.uuid4().hex[:8]}"  # served only by the two worker processes
    settings = api_settings.model_copy(update={"temporal_task_queue": queue})
    ports = [free_port(), free_port()]
    apis = [start_api(settings, port) for port in ports]
    workers = [start_worker(settings, queue), start_worker(settings, queue)]
    try:
        for port in ports:  # four processes importing at once on a small machine: slow
            await wait_live(f"http://127.0.0.1:{port}", timeout_s=180)
        await wait_pollers(f"http://127.0.0.1:{ports[1]}", 2)
        accepted: list[str] = []
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=60,
                                     limits=httpx.Limits(max_connections=BURST)) for p in ports]

        async def one(i: int) -> None:
            try:
                response = await clients[i % 2].post(f"/api/v1/workflows/{wf['id']}/executions",
                                                     json={"inputs": {"who": str(i)}}, headers=headers)
            except httpx.TransportError:
                return  # the connection died with the process: no promise was made
            if response.status_code == 202:
                accepted.append(response.json()["id"])

        tasks = [asyncio.create_task(one(i)) for i in range(BURST)]
        while len(accepted) < 10 and not all(t.done() for t in tasks):
            await asyncio.sleep(0.005)
        for process in (apis[0], workers[0]):
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        await asyncio.gather(*tasks)
        for http in clients:
            await http.aclose()
        assert len(accepted) >= 50, f"only {len(accepted)} accepted: the surviving API should take its half"
        rows = await wait_all_final(app, wf["id"], timeout_s=120)
    finally:
        for process in apis + workers:
            process.kill()
            process.wait(timeout=10)

    by_id = {row.id: row for row in rows}
    assert set(accepted) <= set(by_id), "a 202 was answered for an execution that does not exist"
    assert all(row.status == "succeeded" for row in rows), {r.id: r.status for r in rows}
    runs = Counter([w.id async for w in client.list_workflows(f'{SA_WORKFLOW_ID.name}="{wf["id"]}"')])
    assert set(runs) == {row.temporal_workflow_id for row in rows}
    assert set(runs.values()) == {1}, "an execution was started twice"
    async with app.state.agentic.sessions() as session:
        completed = (await session.scalars(select(Execution.temporal_run_id).where(
            Execution.workflow_id == wf["id"]))).all()
    assert len(set(completed)) == len(rows)
