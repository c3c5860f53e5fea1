"""The result of one execution as users read it: what the API's
GET /api/v1/executions/{id}/result answers and what `agentic run` prints.
One model and one way to build it, so the two can never drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, Field

from workflows.plan import NodeState, NodeSummary

# The interpreter's node states, and `reused`: a rerun's node settled from its
# source's result without running (inside the workflow it counts as succeeded,
# which is what its downstream expressions see).
NodeStatePublic = Literal[(*get_args(NodeState), "reused")]  # type: ignore[valid-type]
PRODUCED_OUTPUT = ("succeeded", "reused")


def public_state(summary: NodeSummary) -> str:
    return "reused" if summary.reused and summary.state == "succeeded" else summary.state


class NodeResult(BaseModel):
    id: str
    state: NodeStatePublic
    output: Any = None
    error: dict[str, Any] | None = None


# No docstring on the models: it would become their OpenAPI description.
class ExecutionResult(BaseModel):
    id: str
    status: str
    outputs: dict[str, Any] = Field(description="the output of each node that produced one (succeeded or "
                                                "reused), in plan order; a skipped, failed or cancelled "
                                                "node has none and is absent here (see `nodes`)")
    nodes: list[NodeResult] = Field(description="every node in plan order, with its state")
    error: dict[str, Any] | None

    @classmethod
    def of(cls, execution_id: str, status: str, error: dict[str, Any] | None,
           nodes: Mapping[str, NodeSummary | Mapping[str, Any]]) -> Self:
        """From the per-node summaries in plan order, live (the workflow's
        `progress` query) or recorded (the execution row's JSON)."""
        listed = [NodeResult(id=node_id, state=public_state(summary), output=summary.output, error=summary.error)
                  for node_id, summary in ((nid, NodeSummary.model_validate(n)) for nid, n in nodes.items())]
        outputs = {node.id: node.output for node in listed if node.state in PRODUCED_OUTPUT}
        return cls(id=execution_id, status=status, error=error, outputs=outputs, nodes=listed)
