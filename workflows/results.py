"""The result of one execution as users read it: what the API's
GET /api/v1/executions/{id}/result answers and what `agentic run` prints.
One model and one way to build it, so the two can never drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel

from workflows.plan import NodeSummary


# No docstring on the model: it would become its OpenAPI description.
class ExecutionResult(BaseModel):
    id: str
    status: str
    outputs: dict[str, Any]
    error: dict[str, Any] | None

    @classmethod
    def of(cls, execution_id: str, status: str, error: dict[str, Any] | None,
           nodes: Mapping[str, NodeSummary | Mapping[str, Any]]) -> Self:
        """From the per-node summaries, live (the workflow's `progress` query)
        or recorded (the execution row's JSON)."""
        outputs = {node_id: node.output if isinstance(node, NodeSummary) else node.get("output")
                   for node_id, node in nodes.items()}
        return cls(id=execution_id, status=status, error=error, outputs=outputs)
