"""sql: statements against PostgreSQL through asyncpg, in one transaction.

Read-only unless the node says `read_only: false` (BEGIN READ ONLY, and the
session's default too); one statement per SQL text (each is prepared, and
the extended protocol refuses several); values only as bind parameters;
`statement_timeout` on the server and a deadline on the client; at most
`max_rows` rows read (through a cursor: a huge result is never fetched
whole). The connection goes through activities/sql_connection.py (egress
policy, pinned address, the DSN never handed to asyncpg).

Retried: connection failures before anything was written, serialization
failures and deadlocks (the transaction rolled back). Never retried: a
connection lost during a write transaction, whose outcome is unknown.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from activities.base import NodeError
from activities.sql_connection import connect, parse_dsn
from activities.sql_values import row_json, to_params
from workflows.nodes.sql import SqlConfig

RETRYABLE_STATES = {"40001", "40P01"}  # serialization failure, deadlock: rolled back, may succeed again


async def run(config: SqlConfig, call, deps) -> dict[str, Any]:
    target = parse_dsn(config.dsn, config.password)
    settings = {"application_name": "agentic-sql",
                "statement_timeout": str(int(config.statement_timeout_s * 1000)),
                "idle_in_transaction_session_timeout": str(int((config.statement_timeout_s + 30) * 1000))}
    if config.read_only:
        settings["default_transaction_read_only"] = "on"
    conn = await connect(target, deps, timeout_s=config.connect_timeout_s, server_settings=settings)
    began = False
    try:
        await _json_codecs(conn)
        results, last = [], {}
        async with conn.transaction(readonly=config.read_only):
            began = True
            for sql, params in config.statements():
                last = await _statement(conn, sql, params, config)
                results.append({"status": last["status"], "row_count": last["row_count"]})
        return {**last, "statements": results}
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError) as err:
        if isinstance(err, asyncio.TimeoutError):
            raise NodeError("sql_timeout", f"no answer within statement_timeout_s={config.statement_timeout_s}",
                            retryable=config.read_only) from None
        if began and not config.read_only:
            raise NodeError("sql_outcome_unknown", "the connection was lost during a write transaction: whether "
                            "it committed is unknown, so it is not retried") from None
        raise NodeError("sql_connection_error", f"the connection was lost: {type(err).__name__}",
                        retryable=True) from None
    except asyncpg.PostgresError as err:
        raise _postgres_failure(err, config) from None
    except asyncpg.exceptions._base.DataError as err:  # a parameter asyncpg cannot encode
        raise NodeError("sql_params", str(err)) from None
    except asyncpg.InterfaceError as err:
        raise NodeError("sql_error", f"the statement cannot be run: {err}") from None
    finally:
        await _close(conn)


async def _statement(conn: asyncpg.Connection, sql: str, params: list[Any], config: SqlConfig) -> dict[str, Any]:
    timeout = config.statement_timeout_s + 5  # the server's statement_timeout should answer first
    statement = await conn.prepare(sql, timeout=timeout)
    args = to_params(statement.get_parameters(), params)
    columns = [attribute.name for attribute in statement.get_attributes()]
    if not columns:  # no rows to read: INSERT/UPDATE/DELETE without RETURNING, DDL
        await statement.fetch(*args, timeout=timeout)
        status = statement.get_statusmsg()
        return {"columns": [], "rows": [], "row_count": _affected(status), "truncated": False, "status": status}
    cursor = await statement.cursor(*args, timeout=timeout)
    records = await cursor.fetch(config.max_rows + 1, timeout=timeout)
    truncated = len(records) > config.max_rows
    if truncated and config.on_too_many_rows == "fail":
        raise NodeError("sql_too_many_rows", f"the statement returns more than max_rows={config.max_rows} rows "
                        "(set on_too_many_rows: truncate to keep the first ones)")
    rows = [row_json(record) for record in records[:config.max_rows]]
    return {"columns": columns, "rows": rows, "row_count": len(rows), "truncated": truncated, "status": None}


def _affected(status: str | None) -> int:
    """`INSERT 0 3`, `UPDATE 3`, `DELETE 0`: the count; DDL says none (0)."""
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _postgres_failure(err: asyncpg.PostgresError, config: SqlConfig) -> NodeError:
    state = getattr(err, "sqlstate", None) or ""
    message = f"{state}: {err.message}" if getattr(err, "message", None) else f"{state}: {type(err).__name__}"
    if isinstance(err, asyncpg.ReadOnlySQLTransactionError):
        return NodeError("sql_read_only", f"{message} (this node is read-only: set read_only: false to write)")
    if isinstance(err, asyncpg.QueryCanceledError):
        return NodeError("sql_timeout", f"{message} (statement_timeout_s={config.statement_timeout_s})")
    if isinstance(err, asyncpg.InvalidAuthorizationSpecificationError):
        return NodeError("sql_auth_failed", message)
    return NodeError("sql_error", message, retryable=state in RETRYABLE_STATES)


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """json/jsonb travel as JSON data both ways (asyncpg's default is text)."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _close(conn: asyncpg.Connection) -> None:
    try:
        await conn.close(timeout=5)
    except (OSError, asyncio.TimeoutError, asyncpg.InterfaceError):
        conn.terminate()
