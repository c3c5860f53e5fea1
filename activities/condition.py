"""condition: evaluates an expression; outgoing edges choose by `when` on its
`output.result`, and nodes on branches not taken are recorded as skipped."""

from typing import Any

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType

FALSY_STRINGS = frozenset({"", "false", "0", "no", "none", "null"})


class ConditionConfig(NodeConfig):
    expression: Any = Field(description="e.g. '{{ inputs.amount > 100 }}'")


async def run(config: ConditionConfig, call, deps) -> dict[str, Any]:
    value = config.expression
    result = value.strip().lower() not in FALSY_STRINGS if isinstance(value, str) else bool(value)
    return {"result": result, "value": value}


NODE_TYPE = NodeType(
    name="condition",
    config_model=ConditionConfig,
    description="Evaluates an expression to output.result (true/false) for edges to branch on.",
    default_timeout_s=30,
)
