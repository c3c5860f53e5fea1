"""transform: an output object built from templates (handler: activities/transform.py)."""

from typing import Any

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class TransformConfig(NodeConfig):
    output: Any = Field(description="any JSON value; every string in it may be a template")


NODE_TYPE = NodeType(
    name="transform",
    config_model=TransformConfig,
    description="Builds an output object from templates over inputs and upstream outputs.",
    default_timeout_s=30,
    pure=True,
)
