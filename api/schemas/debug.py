"""Debug sessions over an execution's replayed history."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from core.db.models import DebugSession
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
    at: str
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


class StepResult(BaseModel):
    cursor: int
    reason: Literal["step", "breakpoint", "error", "end", "resumed"]
    breakpoint_id: str | None = None
    current: Boundary | None
    live: GraphResult | None = Field(None, description="the execution's progress after a live continue/step")


class Variables(BaseModel):
    cursor: int
    node_id: str | None
    variables: dict[str, Any]
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    stack: list[dict[str, str]] = Field(default_factory=list)
