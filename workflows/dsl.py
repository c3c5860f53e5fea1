"""The graph DSL a user writes: a workflow definition of nodes and edges."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RetrySpec(_Strict):
    max_attempts: int = Field(3, ge=1, le=100)
    initial_interval_s: float = Field(1.0, gt=0, le=3600)
    backoff: float = Field(2.0, ge=1.0, le=10.0)
    max_interval_s: float = Field(60.0, gt=0, le=86400)


class NodeSpec(_Strict):
    id: str = Field(pattern=NODE_ID_PATTERN, description="unique within the graph")
    type: str
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetrySpec | None = None
    timeout_s: float | None = Field(None, gt=0, le=7 * 86400)
    continue_on_error: bool = False


class EdgeSpec(_Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    when: str | None = Field(None, description="expression; the edge is taken when truthy")


class WorkflowDefinition(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] | None = Field(None, description="JSON Schema of the run inputs")
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
