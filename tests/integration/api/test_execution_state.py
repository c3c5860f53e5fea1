"""The row's state machine against PostgreSQL (issue 9.2): the writers in the
API and the worker can only move a row forward, and each only within its run."""

from __future__ import annotations

import uuid

import pytest

from core import execution_state as es
from core.db.models import Execution

pytestmark = pytest.mark.integration


async def row(app, **fields) -> str:
    eid = uuid.uuid4().hex
    async with app.state.agentic.sessions() as session:
        session.add(Execution(id=eid, temporal_workflow_id=f"exec-{eid}", inputs={}, trigger="api", **fields))
        await session.commit()
    return eid


async def status_of(app, eid: str) -> tuple[str, str | None]:
    async with app.state.agentic.sessions() as session:
        found = await session.get(Execution, eid)
        return found.status, found.temporal_run_id


async def record(app, eid: str, status: str, run_id: str, workflow_id: str | None = None) -> int:
    stmt = es.recorded({"status": status}, execution_id=eid, workflow_id=workflow_id or f"exec-{eid}",
                       run_id=run_id, new_row={})
    async with app.state.agentic.engine.begin() as conn:
        return (await conn.execute(stmt)).rowcount


async def test_a_final_status_stays(app):
    eid = await row(app, status="pending")
    assert await record(app, eid, "succeeded", "run-1") == 1
    async with app.state.agentic.sessions() as session:
        assert not await es.closed_by_api(session, eid, "cancelled")
        assert await es.started(session, eid, "run-1") is False  # no regression to running
        await session.commit()
    assert await record(app, eid, "failed", "run-1") == 0     # another final status: refused
    assert await record(app, eid, "running", "run-1") == 0    # backwards: refused
    assert await record(app, eid, "succeeded", "run-1") == 1  # the same again (a retry): a no-op
    assert await status_of(app, eid) == ("succeeded", "run-1")


async def test_a_record_of_another_run_or_workflow_is_refused_while_running(app):
    eid = await row(app, status="running", temporal_run_id="run-1")
    assert await record(app, eid, "succeeded", "run-old") == 0
    assert await record(app, eid, "succeeded", "run-1", workflow_id="exec-someone-else") == 0
    assert await status_of(app, eid) == ("running", "run-1")


async def test_a_reset_starts_a_new_run_over(app):
    eid = await row(app, status="failed", temporal_run_id="run-1")
    async with app.state.agentic.sessions() as session:
        assert not await es.reopened(session, eid, "run-other", "run-2")  # not the run the row follows
        assert await es.reopened(session, eid, "run-1", "run-2")
        await session.commit()
    assert await status_of(app, eid) == ("running", "run-2")
    assert await record(app, eid, "succeeded", "run-2") == 1


async def test_the_new_run_of_a_reset_may_record_before_the_api_moves_the_row(app):
    eid = await row(app, status="failed", temporal_run_id="run-1")
    assert await record(app, eid, "succeeded", "run-2") == 1
    async with app.state.agentic.sessions() as session:
        assert not await es.reopened(session, eid, "run-1", "run-2")  # the record stands
        await session.commit()
    assert await status_of(app, eid) == ("succeeded", "run-2")


async def test_the_sweep_closes_only_the_followed_run(app):
    eid = await row(app, status="running", temporal_run_id="run-2")
    async with app.state.agentic.sessions() as session:
        assert not await es.closed_outside(session, eid, "run-1", "terminated", None)
        assert await es.closed_outside(session, eid, "run-2", "terminated", None)
        assert not await es.closed_outside(session, eid, "run-2", "timed_out", None)
        await session.commit()
    assert (await status_of(app, eid))[0] == "terminated"
