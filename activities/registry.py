"""The node-type registry: adding a type is adding one module to NODE_MODULES."""

from __future__ import annotations

from collections.abc import Callable

from activities import condition, http_request, llm, shell, transform
from activities.base import ActivityDeps, node_activity
from workflows.node_types import WORKFLOW_NODE_TYPES, NodeType

# Activity-run node types: each module has NODE_TYPE and `async def run(config, call, deps)`.
NODE_MODULES = (http_request, transform, condition, llm, shell)

REGISTRY: dict[str, NodeType] = {
    **WORKFLOW_NODE_TYPES,
    **{module.NODE_TYPE.name: module.NODE_TYPE for module in NODE_MODULES},
}


def node_activities(deps: ActivityDeps) -> list[Callable]:
    return [node_activity(module.NODE_TYPE, module.run, deps) for module in NODE_MODULES]
