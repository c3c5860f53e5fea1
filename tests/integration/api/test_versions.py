"""Version pinning: a run started on version 1 finishes on version 1 even when
the workflow is updated while it runs."""

from __future__ import annotations

from .graphs import slow
from .helpers import wait_finished


async def test_running_execution_keeps_its_version(api, make_user):
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=slow("v1", 1.5), headers=headers)).json()
    first = (await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=headers)).json()

    updated = await api.put(f"/api/v1/workflows/{wf['id']}", json=slow("v2", 0.1), headers=headers)
    assert updated.status_code == 200 and updated.json()["latest_version"] == 2
    live = (await api.get(f"/api/v1/executions/{first['id']}", headers=headers)).json()
    assert live["status"] == "running" and live["live"] is True
    assert live["nodes"]["wait"]["state"] == "running"

    second = (await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=headers)).json()
    pinned = (await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": 1},
                             headers=headers)).json()
    assert (first["version"], second["version"], pinned["version"]) == (1, 2, 1)

    results = {}
    for run in (first, second, pinned):
        await wait_finished(api, run["id"], headers)
        results[run["id"]] = (await api.get(f"/api/v1/executions/{run['id']}/result", headers=headers)).json()
    assert results[first["id"]]["outputs"]["mark"] == "v1"
    assert results[second["id"]]["outputs"]["mark"] == "v2"
    assert results[pinned["id"]]["outputs"]["mark"] == "v1"

    versions = (await api.get(f"/api/v1/workflows/{wf['id']}/versions", headers=headers)).json()
    assert [v["version"] for v in versions] == [1, 2]
    v1 = (await api.get(f"/api/v1/workflows/{wf['id']}/versions/1", headers=headers)).json()
    assert v1["definition"]["nodes"][1]["config"]["output"] == "v1"
    missing = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": 9}, headers=headers)
    assert missing.status_code == 404


async def test_versions_are_immutable_in_the_database(app, api, make_user):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=slow("x"), headers=headers)).json()
    async with app.state.agentic.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="immutable"):
            await conn.execute(text("UPDATE workflow_versions SET version = 5 WHERE workflow_id = :id"),
                               {"id": wf["id"]})


async def test_an_update_racing_a_delete_never_stores_a_version_of_a_deleted_workflow(api, make_user, app):
    """Issue 10.5e: the update validates (slowly, for a big definition) while a
    delete commits; it must then answer 404, not add a version."""
    import asyncio

    from sqlalchemy import select

    from core.db.models import Workflow, WorkflowVersion

    _, headers = await make_user()
    big = {"name": "big", "nodes": [{"id": f"n{i}", "type": "transform",
                                      "config": {"output": "{{ inputs | length }} " + "x" * 200}}
                                     for i in range(300)], "edges": []}
    for _ in range(3):
        wf = (await api.post("/api/v1/workflows", json={**big, "name": "race"}, headers=headers)).json()
        put = asyncio.create_task(api.put(f"/api/v1/workflows/{wf['id']}", json=big, headers=headers))
        await asyncio.sleep(0.02)  # the update is validating now
        deleted = await api.delete(f"/api/v1/workflows/{wf['id']}", headers=headers)
        updated = await put
        assert deleted.status_code == 204 and updated.status_code in (200, 404), updated.text
        async with app.state.agentic.sessions() as session:
            row = await session.get(Workflow, wf["id"])
            versions = (await session.scalars(select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == wf["id"]))).all()
        assert all(v.created_at <= row.deleted_at for v in versions)
        assert (updated.status_code == 200) == (len(versions) == 2)
