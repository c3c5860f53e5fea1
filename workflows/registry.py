"""Every node type, by name: what the validator, the compiler, the API and the
CLI know. Adding a type is adding a module to workflows/nodes/ and here (and,
when it runs as an activity, its handler in activities/registry.py)."""

from __future__ import annotations

from workflows.node_types import NodeType
from workflows.nodes import (
    approval, compliance_scan, condition, delay, for_each, http_request, llm, notify, shell, sql, sub_workflow,
    transform,
)

REGISTRY: dict[str, NodeType] = {module.NODE_TYPE.name: module.NODE_TYPE for module in (
    delay, sub_workflow, approval, for_each,  # run by the interpreter itself
    http_request, transform, condition, llm, shell, sql, notify, compliance_scan,  # run as activities
)}
