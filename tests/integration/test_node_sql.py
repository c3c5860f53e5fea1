"""The sql node against a scratch database on the test PostgreSQL: bind
parameters typed from JSON, rows as JSON, read-only by default, one write
transaction, statement timeout, row cap, the egress policy on the DSN's host
and the DSN kept out of history."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.integration.api.pg import SERVER, with_database
from tests.integration.graphs import failed_summary, graph, history_text, node, run, start

ONE_ATTEMPT = {"max_attempts": 1}


@pytest.fixture(scope="module")
async def scratch_dsn():
    admin = await SERVER.admin_dsn()
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    dsn = with_database(admin, name)
    conn = await asyncpg.connect(dsn)
    await conn.execute("""
        CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, price numeric(10,2),
                            added date, ref uuid, meta jsonb);
        INSERT INTO items (name, price, added, ref, meta) VALUES
          ('apple', 1.25, '2024-01-02', '6f1c1c8e-2f4b-4d0e-9d7e-1a2b3c4d5e6f', '{"tags": ["fruit"]}'),
          ('pear', 2.50, '2024-03-04', NULL, NULL),
          ('plum', 0.10, NULL, NULL, '[1, 2]');
    """)
    await conn.close()
    yield dsn
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture
def db_secret(monkeypatch, scratch_dsn) -> str:
    """The DSN as an operator's environment secret (an operator run may use those)."""
    monkeypatch.setenv("AGENTIC_SECRET_SCRATCH_DB", scratch_dsn)
    return "{{ secrets.SCRATCH_DB }}"


def sql_node(dsn: str, sql, params=(), node_id: str = "q", **config) -> dict:
    return node(node_id, "sql", {"dsn": dsn, "sql": sql, "params": list(params), **config}, retry=ONE_ATTEMPT)


async def table(dsn: str, query: str):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


async def test_select_with_typed_bind_parameters_gives_json_rows(client, task_queue, worker, db_secret, scratch_dsn):
    definition = graph([sql_node(
        db_secret, "SELECT name, price, added, ref, meta FROM items WHERE added >= $1 AND price < $2 "
                   "AND name = ANY($3) ORDER BY name",
        ["{{ inputs.since }}", "{{ inputs.max_price }}", "{{ inputs.names }}"])])
    handle = await start(client, task_queue, definition,
                         {"since": "2024-01-01", "max_price": 2.5, "names": ["apple", "pear", "plum"]})
    result = await handle.result()
    output = result.nodes["q"].output
    assert output["columns"] == ["name", "price", "added", "ref", "meta"]
    assert output["rows"] == [{"name": "apple", "price": 1.25, "added": "2024-01-02",
                               "ref": "6f1c1c8e-2f4b-4d0e-9d7e-1a2b3c4d5e6f", "meta": {"tags": ["fruit"]}}]
    assert output["row_count"] == 1 and output["truncated"] is False
    history = await history_text(handle)
    assert scratch_dsn not in history  # the DSN is a secret: only its reference is in history


async def test_an_injection_attempt_stays_a_value(client, task_queue, worker, db_secret):
    result = await run(client, task_queue, graph([sql_node(db_secret, "SELECT count(*) AS n FROM items WHERE name = $1",
                                                           ["{{ inputs.name }}"])]),
                       {"name": "x' OR '1'='1"})
    assert result.nodes["q"].output["rows"] == [{"n": 0}]


async def test_a_write_is_refused_in_a_read_only_node(client, task_queue, worker, db_secret, scratch_dsn):
    summary = await failed_summary(client, task_queue, graph([sql_node(
        db_secret, "INSERT INTO items (name) VALUES ($1)", ["sneaky"])]))
    error = summary["nodes"]["q"]["error"]
    assert error["code"] == "sql_read_only", error
    assert "read_only: false" in error["message"]
    assert await table(scratch_dsn, "SELECT 1 FROM items WHERE name = 'sneaky'") == []


async def test_statements_write_in_one_transaction(client, task_queue, worker, db_secret, scratch_dsn):
    result = await run(client, task_queue, graph([sql_node(
        db_secret, ["INSERT INTO items (name, price) VALUES ($1, $2)", "UPDATE items SET price = price * 2 WHERE name = $1",
                    "SELECT price FROM items WHERE name = $1"],
        [["kiwi", "3.10"], ["kiwi"], ["kiwi"]], read_only=False)]))
    output = result.nodes["q"].output
    assert output["rows"] == [{"price": 6.2}]
    assert [s["status"] for s in output["statements"]] == ["INSERT 0 1", "UPDATE 1", None]


async def test_a_failed_statement_rolls_the_whole_transaction_back(client, task_queue, worker, db_secret, scratch_dsn):
    summary = await failed_summary(client, task_queue, graph([sql_node(
        db_secret, ["INSERT INTO items (name) VALUES ($1)", "INSERT INTO items (name) VALUES ($1)"],
        [["twice"], ["twice"]], read_only=False)]))
    error = summary["nodes"]["q"]["error"]
    assert error["code"] == "sql_error" and error["message"].startswith("23505: ")  # unique violation
    assert await table(scratch_dsn, "SELECT 1 FROM items WHERE name = 'twice'") == []


async def test_statement_timeout(client, task_queue, worker, db_secret):
    summary = await failed_summary(client, task_queue, graph([sql_node(
        db_secret, "SELECT pg_sleep(5)", statement_timeout_s=0.2)]))
    error = summary["nodes"]["q"]["error"]
    assert error["code"] == "sql_timeout", error
    assert error["message"].startswith("57014: ")


async def test_row_cap_fails_or_truncates(client, task_queue, worker, db_secret):
    query = "SELECT g FROM generate_series(1, 100000) AS g"
    summary = await failed_summary(client, task_queue, graph([sql_node(db_secret, query, max_rows=10)]))
    assert summary["nodes"]["q"]["error"]["code"] == "sql_too_many_rows"
    result = await run(client, task_queue, graph([sql_node(db_secret, query, max_rows=3,
                                                           on_too_many_rows="truncate")]))
    output = result.nodes["q"].output
    assert output["rows"] == [{"g": 1}, {"g": 2}, {"g": 3}] and output["truncated"] is True


async def test_wrong_parameters_fail_with_a_clear_code(client, task_queue, worker, db_secret):
    summary = await failed_summary(client, task_queue, graph([
        sql_node(db_secret, "SELECT $1::int + $2::int AS n", [1])]))
    assert summary["nodes"]["q"]["error"] == {
        "code": "sql_params", "message": "the statement takes 2 parameter(s), `params` has 1"}
    summary = await failed_summary(client, task_queue, graph([
        sql_node(db_secret, "SELECT $1::date AS d", ["not a date"])]))
    assert summary["nodes"]["q"]["error"] == {
        "code": "sql_params", "message": 'parameter $1 (date) cannot be "not a date"'}


async def test_several_statements_in_one_text_are_refused(client, task_queue, worker, db_secret, scratch_dsn):
    summary = await failed_summary(client, task_queue, graph([sql_node(
        db_secret, "SELECT 1; DELETE FROM items", read_only=False)]))
    assert summary["nodes"]["q"]["error"]["code"] == "sql_error"
    assert len(await table(scratch_dsn, "SELECT 1 FROM items")) >= 3


async def test_the_platform_database_server_is_refused_unless_opened(
        client, task_queue, make_worker, settings, db_secret, scratch_dsn):
    platform = settings.model_copy(update={"database_url": with_database(scratch_dsn, "agentic_platform")})
    await make_worker(platform)
    summary = await failed_summary(client, task_queue, graph([sql_node(db_secret, "SELECT 1 AS one")]))
    error = summary["nodes"]["q"]["error"]
    assert error["code"] == "destination_not_allowed", error
    assert "one of the platform's own endpoints (PostgreSQL)" in error["message"]


async def test_an_opened_database_of_the_platform_server_is_reachable(
        client, task_queue, make_worker, settings, db_secret, scratch_dsn):
    opened = settings.model_copy(update={"database_url": with_database(scratch_dsn, "agentic_platform"),
                                         "sql_platform_databases": ["scratch_*"]})
    await make_worker(opened)
    result = await run(client, task_queue, graph([sql_node(db_secret, "SELECT 1 AS one")]))
    assert result.nodes["q"].output["rows"] == [{"one": 1}]


async def test_the_platform_database_itself_never_opens(client, task_queue, make_worker, settings, scratch_dsn,
                                                        monkeypatch):
    opened = settings.model_copy(update={"database_url": scratch_dsn, "sql_platform_databases": ["*"]})
    await make_worker(opened)
    monkeypatch.setenv("AGENTIC_SECRET_PLATFORM_DB", scratch_dsn)
    summary = await failed_summary(client, task_queue, graph([sql_node("{{ secrets.PLATFORM_DB }}", "SELECT 1")]))
    assert summary["nodes"]["q"]["error"]["code"] == "destination_not_allowed"


async def test_loopback_is_refused_by_default(client, task_queue, make_worker, settings, db_secret):
    await make_worker(settings.model_copy(update={"outbound_allow_loopback": False}))
    summary = await failed_summary(client, task_queue, graph([sql_node(db_secret, "SELECT 1")]))
    error = summary["nodes"]["q"]["error"]
    assert error["code"] == "destination_not_allowed"
    assert error["message"].endswith("a loopback address")


async def test_a_bad_dsn_is_reported_without_echoing_it(client, task_queue, worker, monkeypatch):
    monkeypatch.setenv("AGENTIC_SECRET_BAD_DB", "mysql://root:hunter2@db.example/app")
    handle = await start(client, task_queue, graph([sql_node("{{ secrets.BAD_DB }}", "SELECT 1")]))
    with pytest.raises(Exception):
        await handle.result()
    history = await history_text(handle)
    assert "hunter2" not in history and "invalid_dsn" in history
