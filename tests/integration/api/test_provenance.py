"""Issue 10.3: every execution says what started it (trigger), who, from which
schedule or source execution; the lists filter by it; a scheduled run stays
findable after its schedule is deleted; unknown query parameters are a 422."""

from __future__ import annotations

import asyncpg
import pytest

from .conftest import alembic, create_database, drop_database
from .graphs import three_nodes
from .helpers import wait_finished
from .test_schedules import NEVER, make_workflow, schedules, wait_runs  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
EXECUTIONS = "/api/v1/executions"
SCHEDULES = "/api/v1/enterprise/schedules"


async def listed(api, headers, path: str = EXECUTIONS, **params) -> list[dict]:
    response = await api.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_api_rerun_and_gate_starts_say_what_started_them_and_the_lists_filter(api, make_user):
    name, headers = await make_user()
    wf = await make_workflow(api, headers)
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"who": "a"}})
    assert started.status_code == 202, started.text
    source = await wait_finished(api, started.json()["id"], headers)
    assert (source["trigger"], source["started_by"], source["schedule_id"], source["source_execution_id"]) \
        == ("api", name, None, None)

    rerun = await api.post(f"{EXECUTIONS}/{source['id']}/rerun", headers=headers,
                           json={"from_node": "shout", "definition": "original"})
    assert rerun.status_code == 202, rerun.text
    again = await wait_finished(api, rerun.json()["id"], headers)
    assert (again["trigger"], again["started_by"], again["source_execution_id"]) == ("rerun", name, source["id"])

    gated = await api.post(f"/api/v1/enterprise/approvals/workflows/{wf['id']}/request", headers=headers,
                           json={"inputs": {"who": "g"}, "approval": {"approvers": ["role:admin"]}})
    assert gated.status_code == 202, gated.text
    gate_id = gated.json()["id"]
    try:
        detail = (await api.get(f"{EXECUTIONS}/{gate_id}", headers=headers)).json()
        assert detail["trigger"] == "approval_gate" and detail["started_by"] == name

        for path in (EXECUTIONS, f"/api/v1/workflows/{wf['id']}/executions"):
            assert [e["id"] for e in await listed(api, headers, path, trigger="rerun")] == [again["id"]]
            assert [e["id"] for e in await listed(api, headers, path, source_execution_id=source["id"])] \
                == [again["id"]]
            assert [e["id"] for e in await listed(api, headers, path, trigger="approval_gate")] == [gate_id]
            assert {e["id"] for e in await listed(api, headers, path, started_by=name.upper())} \
                == {source["id"], again["id"], gate_id}
            assert [e["id"] for e in await listed(api, headers, path, trigger="api", status="succeeded")] \
                == [source["id"]]
            assert await listed(api, headers, path, trigger="schedule") == []
            bad = await api.get(path, headers=headers, params={"trigger": "telepathy"})
            assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "$.query.trigger"
        # Another user filtering by my execution finds nothing of mine.
        _, stranger = await make_user()
        assert await listed(api, stranger, source_execution_id=source["id"]) == []
        assert await listed(api, stranger, started_by=name) == []
    finally:
        await api.post(f"{EXECUTIONS}/{gate_id}/cancel", headers=headers)


async def test_scheduled_runs_carry_their_schedule_and_owner_and_outlive_it(api, make_user, schedules):  # noqa: F811
    name, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version=1, inputs={"who": "sched"},
                              spec={"cron_expressions": [NEVER]}, paused=True)
    sid = created["id"]
    assert (await api.post(f"{SCHEDULES}/{sid}/trigger", headers=headers)).status_code == 202
    run_id = (await wait_runs(api, sid, headers, 1))[0]["execution_id"]
    run = await wait_finished(api, run_id, headers)
    assert (run["trigger"], run["started_by"], run["schedule_id"]) == ("schedule", name, sid)

    by_schedule = await listed(api, headers, schedule_id=sid)
    assert [e["id"] for e in by_schedule] == [run_id]
    assert [e["id"] for e in await listed(api, headers, trigger="schedule")] == [run_id]

    assert (await api.delete(f"{SCHEDULES}/{sid}", headers=headers)).status_code == 204
    assert (await api.get(f"{SCHEDULES}/{sid}/runs", headers=headers)).status_code == 404  # the schedule is gone
    after = await listed(api, headers, schedule_id=sid)  # its runs are not
    assert [(e["id"], e["schedule_id"], e["trigger"]) for e in after] == [(run_id, sid, "schedule")]
    assert [e["id"] for e in await listed(api, headers, f"/api/v1/workflows/{wf['id']}/executions",
                                          schedule_id=sid)] == [run_id]
    _, stranger = await make_user()
    assert await listed(api, stranger, schedule_id=sid) == []


async def test_unknown_query_parameters_are_refused_on_every_endpoint(api, make_user):
    _, headers = await make_user()
    wf = await make_workflow(api, headers, three_nodes(name="q"))
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"who": "q"}})
    eid = started.json()["id"]
    for path in (EXECUTIONS, f"/api/v1/workflows/{wf['id']}/executions", "/api/v1/workflows", SCHEDULES,
                 "/api/v1/secrets", "/api/v1/enterprise/approvals/pending", f"{EXECUTIONS}/{eid}"):
        # The misspelling that used to answer everything.
        response = await api.get(path, headers=headers, params={"schedul_id": "x"})
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "unknown_query_parameter", (path, error)
        assert [d["path"] for d in error["details"]] == ["$.query.schedul_id"], (path, error)
        assert (await api.get(path, headers=headers)).status_code == 200, path
    for path in (EXECUTIONS, "/api/v1/workflows", SCHEDULES, "/api/v1/secrets"):  # declared ones still pass
        assert (await api.get(path, headers=headers, params={"limit": 5})).status_code == 200, path
    # A body endpoint too, and several unknown at once, each reported.
    response = await api.post(f"/api/v1/workflows/{wf['id']}/executions?b=1&a=2", headers=headers,
                              json={"inputs": {"who": "q"}})
    assert response.status_code == 422
    assert [d["path"] for d in response.json()["error"]["details"]] == ["$.query.a", "$.query.b"]
    await wait_finished(api, eid, headers)


async def test_the_migration_backfills_the_trigger_of_existing_rows():
    url = await create_database()
    try:
        alembic(url, "upgrade", "0006")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("INSERT INTO users (id, username, password_hash, is_admin, disabled) "
                               "VALUES ('u1', 'old', 'x', false, false)")
            await conn.execute("INSERT INTO workflows (id, owner_id, name, description, tags, latest_version) "
                               "VALUES ('w1', 'u1', 'wf', '', '{}', 1)")
            inserts = {  # id -> the columns that tell what started it
                "plain": "workflow_id", "again": "workflow_id, source_execution_id",
                "sched": "workflow_id, schedule_id", "gated": "workflow_id, gate",
                "tmpl": "workflow_id, template_id", "cli": ""}
            values = {"workflow_id": "'w1'", "source_execution_id": "'plain'", "schedule_id": "'s1'",
                      "gate": "'{}'::jsonb", "template_id": "'t1'"}
            for eid, columns in inserts.items():
                names = [c.strip() for c in columns.split(",") if c.strip()]
                await conn.execute(
                    f"INSERT INTO executions (id, temporal_workflow_id, status, inputs{''.join(', ' + n for n in names)})"
                    f" VALUES ('{eid}', 'exec-{eid}', 'succeeded', '{{}}'{''.join(', ' + values[n] for n in names)})")
        finally:
            await conn.close()
        alembic(url, "upgrade", "0007")
        conn = await asyncpg.connect(url)
        try:
            found = dict(await conn.fetch("SELECT id, trigger FROM executions"))
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("UPDATE executions SET trigger = 'telepathy' WHERE id = 'plain'")
        finally:
            await conn.close()
        assert found == {"plain": "api", "again": "rerun", "sched": "schedule", "gated": "approval_gate",
                         "tmpl": "template", "cli": "cli"}
        alembic(url, "downgrade", "0006")
    finally:
        await drop_database(url)


async def test_a_run_that_records_itself_without_a_row_is_a_cli_run(app):
    """The worker's upsert (a run the API never saw) fills the trigger."""
    from core import execution_state
    from core.db.models import Execution

    stmt = execution_state.recorded({"status": "succeeded"}, execution_id="outside-1",
                                    workflow_id="exec-outside-1", run_id="r1", new_row={})
    async with app.state.agentic.engine.begin() as conn:
        await conn.execute(stmt)
    async with app.state.agentic.sessions() as session:
        assert (await session.get(Execution, "outside-1")).trigger == "cli"
