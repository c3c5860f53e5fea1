"""Debug sessions over an execution's replayed history."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from api.schemas.common import Strict, UtcDatetime
from api.schemas.executions import NodePublic
from core.db.models import DebugSession
from core.execution_state import FROM_RESULT
from workflows.plan import GraphResult

MAX_CONDITION_LENGTH = 2000


class DebugSessionCreate(Strict):
    execution_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")


class BreakpointCreate(Strict):
    node_id: str = Field(min_length=1, max_length=64)
    condition: str | None = Field(None, max_length=MAX_CONDITION_LENGTH,
                                  description="expression over input, output, variables, error, state, attempts")


class BreakpointPublic(BaseModel):
    id: str
    node_id: str
    condition: str | None = None


class StepRequest(Strict):
    mode: Literal["next", "continue", "back", "into", "out"]


class Boundary(BaseModel):
    # One step of the replayed timeline; its `variables` are answered by /variables only.
    index: int
    kind: str
    node_id: str
    node_type: str | None
    state: str
    at: UtcDatetime
    attempts: int
    depth: int
    workflow_id: str
    stack: list[dict[str, str]]
    reused: bool = False
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None

    @classmethod
    def at_cursor(cls, steps: list[dict[str, Any]], cursor: int) -> Self | None:
        return cls.model_validate(steps[cursor]) if steps else None


class DebugSessionPublic(BaseModel):
    id: str
    execution_id: str
    status: str
    execution_status: str
    cursor: int
    at_end: bool
    current: Boundary | None
    failure: int | None = Field(description="index of the first failed node's exit, if any")
    paused_at: list[str]
    breakpoints: list[BreakpointPublic]
    replay: dict[str, Any]
    timeline: list[Boundary]

    @classmethod
    def from_row(cls, row: DebugSession) -> Self:
        """The row and the replay kept in its `state`."""
        st = row.state or {}
        steps = st.get("timeline", [])
        cursor = st.get("cursor", 0)
        return cls(id=row.id, execution_id=row.execution_id, status=row.status,
                   execution_status=st.get("execution_status", "unknown"), cursor=cursor,
                   at_end=not steps or cursor >= len(steps) - 1, current=Boundary.at_cursor(steps, cursor),
                   failure=st.get("failure"), paused_at=st.get("paused_at", []),
                   breakpoints=row.breakpoints or [], replay=st.get("replay", {}), timeline=steps)


class LiveProgress(BaseModel):
    """The workflow's progress (GraphResult) as the API shows an execution's."""

    execution_id: str
    status: str
    nodes: dict[str, NodePublic]
    paused_at: list[str]
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    duration_ms: float | None
    error: dict[str, Any] | None

    @classmethod
    def of(cls, result: GraphResult) -> Self:
        return cls(execution_id=result.execution_id, status=FROM_RESULT[result.status],
                   nodes={nid: NodePublic.of(n) for nid, n in result.nodes.items()}, paused_at=result.paused_at,
                   started_at=result.started_at, finished_at=result.finished_at,
                   duration_ms=result.duration_ms, error=result.error)


class StepResult(BaseModel):
    cursor: int
    reason: Literal["step", "breakpoint", "error", "end", "resumed"]
    breakpoint_id: str | None = None
    current: Boundary | None
    live: LiveProgress | None = Field(None, description="the execution's progress after a live continue/step")


class Variables(BaseModel):
    cursor: int
    node_id: str | None
    variables: dict[str, Any]
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    stack: list[dict[str, str]] = Field(default_factory=list)
