"""Reads run without a transaction (issue 11, the lean read path): every
statement of a GET runs on an autocommit connection (no BEGIN / ROLLBACK
round trips), while a write keeps its transaction and commits as one."""

from __future__ import annotations

import re

from sqlalchemy import event

from .graphs import three_nodes


# The statements of these requests: the app's background tasks (the reconciler,
# its sweeps) share the engine and write executions meanwhile.
REQUEST_TABLES = re.compile(r"\b(users|workflows|workflow_versions)\b")


def capture(app) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if REQUEST_TABLES.search(statement):
            seen.append((statement.split()[0].upper(), conn.get_execution_options().get("isolation_level")))

    event.listen(app.state.agentic.engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_a_get_runs_in_autocommit_and_a_write_in_a_transaction(api, app, make_user):
    _, headers = await make_user()
    seen = capture(app)
    created = await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)
    assert created.status_code == 201, created.text
    writes, seen[:] = list(seen), []
    assert any(verb == "INSERT" for verb, _ in writes)
    assert all(level != "AUTOCOMMIT" for _, level in writes)

    listed = await api.get("/api/v1/workflows", headers=headers)
    assert listed.status_code == 200 and [w["id"] for w in listed.json()["items"]] == [created.json()["id"]]
    assert seen and all(level == "AUTOCOMMIT" for _, level in seen)


async def test_a_refused_read_is_still_refused(api, app, make_user):
    _, headers = await make_user()
    _, stranger = await make_user()
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    hidden = await api.get(f"/api/v1/workflows/{wf['id']}", headers=stranger)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    bad = await api.get("/api/v1/workflows", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
