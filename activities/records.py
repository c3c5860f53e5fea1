"""Record keeping: the workflow writes its own summary row when it finishes, so
the row is right even when nobody polls the API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from core import execution_state
from core.db.session import make_engine
from core.settings import Settings
from workflows.graph_workflow import RECORD_ACTIVITY
from workflows.plan import GraphResult

log = logging.getLogger(__name__)


class _Recorder:
    """Owns one lazily created engine per process (activities share it)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    async def engine(self) -> AsyncEngine:
        async with self._lock:
            if self._engine is None:
                self._engine = make_engine(self._url, pool_size=5)
            return self._engine

    async def record(self, result: GraphResult) -> None:
        info = activity.info()
        values = {
            "status": execution_state.FROM_RESULT[result.status],
            "nodes": {k: v.model_dump(mode="json") for k, v in result.nodes.items()},
            "error": result.error,
            "started_at": _parse(result.started_at),
            "finished_at": _parse(result.finished_at),
            "duration_ms": result.duration_ms,
        }
        # The same result written twice gives the same row (retries are safe).
        # A run started outside the API (no row) still gets one, visible to
        # admins. An existing row is written only by its own Temporal execution
        # and only forward (core/execution_state.py).
        stmt = execution_state.recorded(values, execution_id=result.execution_id, workflow_id=info.workflow_id,
                                        run_id=info.workflow_run_id, new_row=_from_meta(result.meta))
        async with (await self.engine()).begin() as conn:
            written = (await conn.execute(stmt)).rowcount
        if not written:
            log.warning("execution %s not recorded as %s from %s: another Temporal execution's row, or "
                        "already final", result.execution_id, values["status"], info.workflow_id)


# A scheduled run has no row until it records itself: the schedule put who and
# what it runs into GraphInput.meta.
META_COLUMNS = ("workflow_id", "version", "owner_id", "schedule_id", "started_by", "trigger", "template_id")


def _from_meta(meta: dict) -> dict:
    row = {key: meta[key] for key in META_COLUMNS if meta.get(key) is not None}
    if row.get("schedule_id"):  # a schedule installed before its action said its trigger
        row.setdefault("trigger", "schedule")
    return row


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def record_activities(settings: Settings) -> list[Callable]:
    recorder = _Recorder(settings.database_url or "")

    @activity.defn(name=RECORD_ACTIVITY)
    async def record_execution(result: GraphResult) -> None:
        await recorder.record(result)

    return [record_execution]
