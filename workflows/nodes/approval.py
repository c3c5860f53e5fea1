"""approval: a durable wait for people's decisions, run by the interpreter
(workflows/approval_desk.py). The config is also an execution's approval gate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workflows.node_types import NodeConfig, NodeType

MAX_WAIT_S = 366 * 86400  # longest approval wait or escalation step: a year


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


NODE_TYPE = NodeType(
    name="approval",
    config_model=ApprovalConfig,
    description="Waits durably for people to approve or reject; output.approved is the decision.",
    kind="workflow",
    default_timeout_s=365 * 86400,
    default_max_attempts=1,
)
