"""sub_workflow: another graph run as a child workflow by the interpreter."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class SubWorkflowConfig(NodeConfig):
    """Either an inline definition or a reference the compiler resolves."""

    definition: dict[str, Any] | None = None
    workflow_id: str | None = Field(None, description="a saved workflow (resolved at compile time)")
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    inputs: dict[str, Any] = Field(default_factory=dict)


NODE_TYPE = NodeType(
    name="sub_workflow",
    config_model=SubWorkflowConfig,
    description="Runs another graph as a child workflow and returns its result.",
    kind="workflow",
    default_timeout_s=24 * 3600,
    default_max_attempts=1,
)
