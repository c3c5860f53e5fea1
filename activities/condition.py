"""condition: evaluates an expression; outgoing edges choose by `when` on its
`output.result`, and nodes on branches not taken are recorded as skipped."""

from typing import Any

from workflows.nodes.condition import ConditionConfig

FALSY_STRINGS = frozenset({"", "false", "0", "no", "none", "null"})


async def run(config: ConditionConfig, call, deps) -> dict[str, Any]:
    value = config.expression
    result = value.strip().lower() not in FALSY_STRINGS if isinstance(value, str) else bool(value)
    return {"result": result, "value": value}
