"""transform: builds an output object from templates (rendered by the wrapper)."""

from typing import Any

from workflows.nodes.transform import TransformConfig


async def run(config: TransformConfig, call, deps) -> Any:
    return config.output
