"""Executions: start, read, result, cancel/terminate, reset."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from api.schemas.common import MAX_INT, FromRow, Strict, UtcDatetime
from core.db.models import EXECUTION_TRIGGERS
from core.settings import Settings
from core.temporal import ui_link
from workflows.plan import DebugOptions, NodeSummary
from workflows.results import ExecutionResult, NodeStatePublic, public_state  # shared with the CLI

Trigger = Literal[EXECUTION_TRIGGERS]  # type: ignore[valid-type]


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
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    duration_ms: float | None
    error: dict[str, Any] | None
    # Provenance: what started it, who (a user name; a schedule's runs: its
    # owner), the schedule (kept after the schedule is deleted) and the
    # execution a rerun comes from.
    trigger: Trigger
    started_by: str | None
    schedule_id: str | None
    source_execution_id: str | None
    template_id: str | None = None  # its workflow was deployed from this template


class NodePublic(BaseModel):
    """A node's summary (workflows.plan.NodeSummary) as users read it: an
    explicit state (`reused` for a rerun's reused node), UTC times."""

    state: NodeStatePublic
    attempts: int = Field(description="attempts in this execution (0: it did not run here)")
    started_at: UtcDatetime | None = Field(description="when its first attempt began running (the activity's clock)")
    finished_at: UtcDatetime | None = Field(description="when its last attempt ended")
    duration_ms: float | None = Field(description="finished_at - started_at: retries and their backoff included")
    output: Any = None
    error: dict[str, Any] | None = None
    reused: bool = Field(False, description="settled from a source execution's result, not run")
    reused_from: str | None = Field(None, description="a reused node: the execution that ran it")
    input_digest: str | None = None

    @classmethod
    def of(cls, summary: NodeSummary) -> Self:
        return cls.model_validate({**summary.model_dump(), "state": public_state(summary)})


class WaitingFor(BaseModel):
    approval_id: str
    node_id: str = Field(description="`__gate__` for the approval in front of the whole execution")
    link: str


class ExecutionDetail(ExecutionPublic):
    nodes: dict[str, NodePublic] = Field(description="every node of the plan, in plan order")
    waiting_for: list[WaitingFor] = Field(
        default_factory=list, description="approvals the execution waits on; its status stays `running`")
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
