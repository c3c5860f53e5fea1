"""Run and wait: a start answers with the run's result (the shape of
GET /executions/{id}/result) when the run closes within `?wait=N` seconds,
and with the usual 202 when it does not.

The wait holds no database connection (the caller's transaction is ended
first) and blocks nothing: it awaits Temporal's long poll of the workflow's
close event (`WorkflowHandle.result`) under a timeout. A run that fails or is
cancelled in time is answered like any other finished run, with its failure
in the result's `error`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.reconciler import closed_status
from api.schemas.executions import ExecutionResult
from core import execution_state
from core.db.models import TERMINAL_EXECUTION_STATUSES, Execution

log = logging.getLogger(__name__)
MAX_WAIT_S = 60
NOT_STARTED_POLL_S = 0.2

WaitSeconds = Annotated[int, Query(
    ge=0, le=MAX_WAIT_S,
    description=f"wait up to this many seconds (at most {MAX_WAIT_S}) for the run to finish: 200 with its "
                "result when it does, else 202 as without waiting")]
ResultReader = Callable[[], Awaitable[ExecutionResult]]

# Documented on the routes that wait.
WAIT_RESPONSES: dict[int | str, dict] = {
    200: {"model": ExecutionResult, "description": "the run finished within `wait` seconds: its result "
          "(a failed or cancelled run too, with its error)"},
}


async def result_within(session: AsyncSession, client: Client, row: Execution, wait_s: int,
                        read_result: ResultReader) -> ExecutionResult | None:
    """The run's result when it closes within `wait_s` seconds, else None
    (answer the 202). `read_result` reads it as GET .../result does."""
    if wait_s <= 0:
        return None
    execution_id, workflow_id = row.id, row.temporal_workflow_id
    if row.status in TERMINAL_EXECUTION_STATUSES:  # a replayed request of a finished run
        return await read_result()
    await session.commit()  # ends the transaction: the connection goes back to the pool while we wait
    if not await _closed_within(client, execution_id, workflow_id, wait_s):
        return None
    return await _read_closed(session, client, row, read_result)


async def _closed_within(client: Client, execution_id: str, workflow_id: str, wait_s: float) -> bool:
    """Whether the workflow closes within `wait_s`. A workflow not started yet
    (a concurrent request with the same Idempotency-Key is starting it) is
    waited for too; Temporal unreachable ends the wait (the 202: poll later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    handle = client.get_workflow_handle(workflow_id)
    while (remaining := deadline - loop.time()) > 0:
        try:
            await asyncio.wait_for(handle.result(), remaining)
            return True
        except TimeoutError:
            return False
        except WorkflowFailureError:
            return True  # closed: failed, cancelled, terminated or timed out; the row or Temporal says which
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                log.info("waiting for %s stopped: %s", execution_id, err)
                return False
            await asyncio.sleep(min(NOT_STARTED_POLL_S, remaining))
        except Exception as err:  # noqa: BLE001 - Temporal unreachable mid-wait: the 202, poll later
            log.info("waiting for %s stopped: %s", execution_id, err)
            return False
    return False


async def _read_closed(session: AsyncSession, client: Client, row: Execution,
                       read_result: ResultReader) -> ExecutionResult | None:
    """A closed run's result. A run that closed without recording itself
    (terminated in the Web UI) gets its row closed first, as the reconciler's
    sweep would, so the answer and the row agree."""
    execution_id, workflow_id = row.id, row.temporal_workflow_id
    session.expire(row)  # read again: the row as the run left it, not as this session last saw it
    if (result := await _unless_unfinished(read_result)) is not None:
        return result
    desc = await client.get_workflow_handle(workflow_id).describe()
    final = closed_status(desc.status)
    if final is None:
        return None  # a reset started a new run meanwhile: still running
    await execution_state.closed_outside(session, execution_id, desc.run_id, final, desc.close_time)
    await session.commit()
    session.expire(row)
    return await _unless_unfinished(read_result)


async def _unless_unfinished(read_result: ResultReader) -> ExecutionResult | None:
    try:
        return await read_result()
    except ApiError as err:
        if err.status != 409:  # 409 not_finished: the row has not caught up with Temporal
            raise
        return None


def finished(result: ExecutionResult) -> JSONResponse:
    return JSONResponse(result.model_dump(mode="json"), status_code=200)
