"""shell: runs an argv list in a temporary directory (handler: activities/shell.py).
Privileged: only admins may save it, and it runs only where the operator enabled it."""

from __future__ import annotations

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class ShellConfig(NodeConfig):
    argv: list[str] = Field(min_length=1, description="program and arguments; no shell is involved")
    env: dict[str, str] = Field(default_factory=dict, description="extra variables for the process")
    stdin: str | None = None
    timeout_s: float = Field(60.0, gt=0, le=3600)
    ok_exit_codes: list[int] = Field(default_factory=lambda: [0])


NODE_TYPE = NodeType(
    name="shell",
    config_model=ShellConfig,
    description="Runs a program (argv list) in a temporary directory. Privileged.",
    privileged=True,
    default_timeout_s=3600,
    default_max_attempts=1,
)
