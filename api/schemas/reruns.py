"""Reruns from a node, and the lineage between executions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from api.schemas.executions import ExecutionAccepted


class RerunCreate(Strict):
    from_node: str = Field(min_length=1, max_length=64)
    definition: Literal["original", "latest"] = Field(
        description="the source's workflow version, or the workflow's latest version")
    input_overrides: dict[str, Any] = Field(default_factory=dict, description="merged over the source's inputs")
    breakpoints: list[str] = Field(default_factory=list, max_length=100,
                                   description="live breakpoints for the new run")


class RerunAccepted(ExecutionAccepted):
    source_execution_id: str
    from_node: str
    definition: Literal["original", "latest"]
    reused_nodes: list[str]


class Lineage(BaseModel):
    id: str
    source_execution_id: str | None
    rerun: dict[str, Any] | None
    reruns: list[dict[str, Any]]
