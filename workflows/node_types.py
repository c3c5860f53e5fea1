"""What a node type is, and the node types the interpreter runs itself.

The full registry (activities/registry.py) adds the activity-run types; the
validator and compiler take the registry as an argument so this package stays
free of I/O imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["activity", "workflow"]
MAX_WAIT_S = 366 * 86400  # longest approval wait or escalation step: a year


@dataclass(frozen=True)
class NodeType:
    name: str
    config_model: type[BaseModel]
    description: str
    kind: Kind = "activity"  # "workflow": run by the interpreter itself, no activity
    privileged: bool = False  # only admins may save it; operators must enable it
    default_timeout_s: float = 60.0
    default_max_attempts: int = 3
    # (rendered config, settings) -> the host the node sends its secrets to, or
    # None when that cannot be known (e.g. redirects are followed): a secret
    # bound to hosts is refused then. Unset: the node sends secrets nowhere.
    destination: Callable[[Any, Any], str | None] | None = None

    @property
    def activity_name(self) -> str:
        return f"node.{self.name}"


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Marks a config field that takes a secret: `Field(..., json_schema_extra=TAKES_SECRET)`.
# Only such fields may hold `{{ secrets.NAME }}` (workflows/secret_refs.py), and
# only fields whose value goes to a destination, never into an output.
TAKES_SECRET: dict[str, Any] = {"secret": True}


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The config keys (aliases where given) of the fields that take a secret."""
    return frozenset(info.alias or name for name, info in model.model_fields.items()
                     if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret") is True)


class DelayConfig(NodeConfig):
    seconds: float | str = Field(description="number, or an expression giving one")


class SubWorkflowConfig(NodeConfig):
    """Either an inline definition or a reference the compiler resolves."""

    definition: dict[str, Any] | None = None
    workflow_id: str | None = Field(None, description="a saved workflow (resolved at compile time)")
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    inputs: dict[str, Any] = Field(default_factory=dict)


class EscalationStep(NodeConfig):
    after_s: float = Field(gt=0, le=MAX_WAIT_S, description="seconds after the request")
    add_approvers: list[str] = Field(default_factory=list)
    notify: bool = True


class ApprovalConfig(NodeConfig):
    approvers: list[str] = Field(min_length=1, description="'alice', 'user:alice', 'role:lead', 'scope:admin'")
    quorum: int = Field(1, ge=1, description="approvals needed; one rejection rejects")
    timeout_s: float | None = Field(None, gt=0, le=MAX_WAIT_S)
    on_timeout: Literal["approve", "reject", "fail", "escalate"] = "fail"
    escalate_to: list[str] = Field(default_factory=list, description="added when on_timeout is 'escalate'")
    escalation: list[EscalationStep] = Field(default_factory=list)
    allow_self_approval: bool = False
    instructions: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        everyone = self.approvers + [a for s in self.escalation for a in s.add_approvers] + self.escalate_to
        # Roles and scopes may hold any number of people; named users are counted once.
        if not any(a.startswith(("role:", "scope:")) for a in everyone):
            people = {a.removeprefix("user:") for a in everyone}
            if self.quorum > len(people):
                raise ValueError(f"quorum {self.quorum} is more than the {len(people)} distinct approvers")
        if self.on_timeout == "escalate" and (not self.escalate_to or self.timeout_s is None):
            raise ValueError("on_timeout 'escalate' needs timeout_s and escalate_to")
        return self


DELAY = NodeType(
    name="delay",
    config_model=DelayConfig,
    description="A durable timer in the workflow itself: survives restarts, costs no worker.",
    kind="workflow",
    default_max_attempts=1,
)
SUB_WORKFLOW = NodeType(
    name="sub_workflow",
    config_model=SubWorkflowConfig,
    description="Runs another graph as a child workflow and returns its result.",
    kind="workflow",
    default_timeout_s=24 * 3600,
    default_max_attempts=1,
)
APPROVAL = NodeType(
    name="approval",
    config_model=ApprovalConfig,
    description="Waits durably for people to approve or reject; output.approved is the decision.",
    kind="workflow",
    default_timeout_s=365 * 86400,
    default_max_attempts=1,
)
WORKFLOW_NODE_TYPES = {t.name: t for t in (DELAY, SUB_WORKFLOW, APPROVAL)}
