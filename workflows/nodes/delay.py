"""delay: a durable timer, run by the interpreter itself (no activity)."""

from __future__ import annotations

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class DelayConfig(NodeConfig):
    seconds: float | str = Field(description="number, or an expression giving one")


NODE_TYPE = NodeType(
    name="delay",
    config_model=DelayConfig,
    description="A durable timer in the workflow itself: survives restarts, costs no worker.",
    kind="workflow",
    default_max_attempts=1,
)
