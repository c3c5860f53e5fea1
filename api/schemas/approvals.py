"""Approval gates, decisions, and approvals as their approvers see them."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field

from api.schemas.common import MAX_INT, FromRow, Strict, UtcDatetime
from api.schemas.executions import ExecutionAccepted
from core.approvals_mirror import approval_link
from core.db.models import Approval
from core.settings import Settings
from core.temporal import ui_link
from workflows.approvals import ApprovalState
from workflows.nodes.approval import ApprovalConfig


class GateCreate(Strict):
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(None, ge=1, le=MAX_INT, description="defaults to the latest version")
    approval: ApprovalConfig = Field(description="who approves the run, quorum, timeout, escalation")


class GateAccepted(ExecutionAccepted):
    approval_id: str = Field(description="the approval the execution waits on; its status is `running` meanwhile")
    link: str


class DecisionRequest(Strict):
    comment: str = Field("", max_length=4000)


class VotePublic(FromRow):
    user: str
    decision: Literal["approve", "reject"]
    comment: str
    at: UtcDatetime


class ApprovalPublic(FromRow):
    approval_id: str
    execution_id: str
    node_id: str
    workflow_id: str | None = None
    workflow_name: str | None = None
    status: str
    approvers: list[str]
    quorum: int
    votes: list[VotePublic]
    instructions: str
    context: dict[str, Any]
    requested_at: UtcDatetime
    decided_at: UtcDatetime | None
    timeout_at: UtcDatetime | None
    started_by: str | None
    escalations: int
    link: str
    ui_url: str | None = None
    live: bool = Field(description="true when read from the running workflow, false from the mirror")

    @classmethod
    def from_state(cls, st: ApprovalState, settings: Settings, mirror: Approval | None, *, workflow_id: str | None,
                   workflow_name: str | None, live: bool, names: dict[str, str]) -> Self:
        """`names`: api.approvers.display_names, so bound ids read as user names."""
        temporal_id = mirror.temporal_workflow_id if mirror else None
        return cls.of(st, workflow_id=workflow_id, workflow_name=workflow_name,
                      approvers=[names.get(a, a) for a in st.approvers],
                      link=approval_link(settings, st.approval_id),
                      ui_url=ui_link(settings, temporal_id, mirror.temporal_run_id) if temporal_id else None,
                      live=live)
