"""for_each: one node config mapped over a list, run by the interpreter
(workflows/for_each.py): items in batches of child workflows, a concurrency
limit, results in input order, a per-item failure policy, a hard item limit.

Inside `node.config`, `item` is the current element and `index` its position.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from workflows.dsl import RetrySpec
from workflows.node_types import NodeConfig, NodeType

MAX_ITEMS = 10_000  # hard: no config may ask for more
ITEM_NAMES = frozenset({"item", "index"})


class ItemNode(NodeConfig):
    """What runs for each item: an activity-run, unprivileged node type."""

    type: str
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetrySpec | None = None
    timeout_s: float | None = Field(None, gt=0, le=7 * 86400)


class ForEachConfig(NodeConfig):
    items: str | list[Any] = Field(description="a list, or an expression giving one: '{{ nodes.fetch.output.body }}'")
    node: ItemNode
    concurrency: int = Field(5, ge=1, le=100, description="items running at once")
    on_item_error: Literal["fail_fast", "continue"] = Field(
        "fail_fast", description="fail_fast: the first failed item fails the node and stops the rest; continue: "
                                 "every item runs and the failures are listed in output.errors")
    max_items: int = Field(1000, ge=1, le=MAX_ITEMS, description="more items than this fail the node")
    batch_size: int = Field(200, ge=1, le=1000, description="items per child workflow (one history each)")


NODE_TYPE = NodeType(
    name="for_each",
    config_model=ForEachConfig,
    description="Runs a node once per item of a list, in batches of child workflows; results in input order.",
    kind="workflow",
    default_timeout_s=24 * 3600,
    default_max_attempts=1,
)
