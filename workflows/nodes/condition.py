"""condition: an expression for edges to branch on (handler: activities/condition.py)."""

from typing import Any

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class ConditionConfig(NodeConfig):
    expression: Any = Field(description="e.g. '{{ inputs.amount > 100 }}'")


NODE_TYPE = NodeType(
    name="condition",
    config_model=ConditionConfig,
    description="Evaluates an expression to output.result (true/false) for edges to branch on.",
    default_timeout_s=30,
    pure=True,
)
