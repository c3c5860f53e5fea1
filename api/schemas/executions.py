"""Executions: start, read, result, cancel/terminate, reset."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, Field

from api.schemas.common import MAX_INT, FromRow, Strict
from core.settings import Settings
from core.temporal import ui_link
from workflows.plan import DebugOptions, NodeSummary
from workflows.results import ExecutionResult  # noqa: F401 - shared with the CLI


class ExecutionCreate(Strict):
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(None, ge=1, le=MAX_INT, description="defaults to the latest version")
    debug: DebugOptions | None = Field(None, description="live breakpoints: pause before these nodes")


class _ExecutionRow(FromRow):
    @classmethod
    def from_row(cls, row: Any, settings: Settings, **given: Any) -> Self:
        """Read off an `executions` row, with its Temporal Web UI link."""
        run_id = given.get("temporal_run_id", row.temporal_run_id)
        return cls.of(row, ui_url=ui_link(settings, row.temporal_workflow_id, run_id), **given)


class ExecutionAccepted(_ExecutionRow):
    id: str
    workflow_id: str
    version: int
    status: str
    temporal_workflow_id: str
    temporal_run_id: str | None
    ui_url: str


class ExecutionPublic(_ExecutionRow):
    id: str
    workflow_id: str | None
    version: int | None
    owner_id: str | None
    status: str
    inputs: dict[str, Any]
    temporal_workflow_id: str
    temporal_run_id: str | None
    ui_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None
    error: dict[str, Any] | None


class ExecutionDetail(ExecutionPublic):
    nodes: dict[str, NodeSummary]
    live: bool = Field(description="true when the progress came from the running workflow")


class ActionAccepted(BaseModel):
    id: str
    status: str


class ResetCreate(Strict):
    node_id: str = Field(min_length=1, max_length=64, description="reset to the point before this node started")
    reason: str | None = Field(default=None, max_length=500)


class ResetAccepted(_ExecutionRow):
    id: str
    status: str
    node_id: str
    temporal_workflow_id: str
    previous_run_id: str
    temporal_run_id: str
    reset_event_id: int = Field(description="the WorkflowTaskCompleted event the history was reset to")
    ui_url: str
