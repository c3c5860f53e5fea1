"""Approval state and the rules for deciding it: pure, shared by the
interpreter's update validator and the API (which answers the same errors)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

ApprovalStatus = Literal["pending", "approved", "rejected", "timed_out", "cancelled"]
GATE_NODE = "__gate__"  # the approval in front of a whole execution


class Vote(BaseModel):
    user: str
    decision: Literal["approve", "reject"]
    comment: str = ""
    at: str


class ApprovalState(BaseModel):
    approval_id: str
    execution_id: str
    node_id: str
    approvers: list[str]
    quorum: int
    status: ApprovalStatus = "pending"
    votes: list[Vote] = Field(default_factory=list)
    instructions: str = ""
    requested_at: str
    decided_at: str | None = None
    timeout_at: str | None = None
    started_by: str | None = None
    allow_self_approval: bool = False
    escalations: int = 0
    context: dict[str, Any] = Field(default_factory=dict, description="what approvers need to decide")


class Decision(BaseModel):
    approval_id: str
    user: str
    principals: list[str] = Field(default_factory=list,
                                  description="who the user is: user:<name>, role:<role>, scope:<scope>")
    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=4000)
    issued_at: str | None = None
    signature: str | None = Field(None, description="the API's (workflows/signatures.py), bound to the workflow id")


class ApprovalChanged(BaseModel):
    """Input of the `approval_changed` activity (mirror row + webhook)."""

    event: Literal["requested", "escalated", "decided", "timed_out"]
    state: ApprovalState
    workflow_id: str
    run_id: str
    notify: bool = Field(True, description="call the webhook; the mirror row is updated regardless")


def approver_matches(approver: str, user: str, principals: list[str]) -> bool:
    if ":" not in approver:
        return approver == user
    return approver == f"user:{user}" or approver in principals


class Refusal(StrEnum):
    """Why a decision is refused: the `type` of the update validator's
    ApplicationError, which the API maps to its HTTP answer (never the text)."""

    NOT_FOUND = "not_found"
    CLOSED = "closed"
    SELF_APPROVAL = "self_approval"
    NOT_AN_APPROVER = "not_an_approver"
    DUPLICATE_VOTE = "duplicate_vote"


class Refused(NamedTuple):
    code: Refusal
    message: str


def refusal(state: ApprovalState | None, decision: Decision) -> Refused | None:
    """Why this decision cannot be taken, or None when it can."""
    if state is None:
        return Refused(Refusal.NOT_FOUND, f"no approval {decision.approval_id!r} in this execution")
    if state.status != "pending":
        return Refused(Refusal.CLOSED, f"approval {decision.approval_id!r} is already {state.status}")
    if not state.allow_self_approval and state.started_by and decision.user == state.started_by:
        return Refused(Refusal.SELF_APPROVAL, "the user who started the execution cannot approve it")
    if not any(approver_matches(a, decision.user, decision.principals) for a in state.approvers):
        return Refused(Refusal.NOT_AN_APPROVER, f"user {decision.user!r} is not an approver of {decision.approval_id!r}")
    if any(vote.user == decision.user for vote in state.votes):
        return Refused(Refusal.DUPLICATE_VOTE, f"user {decision.user!r} has already voted")
    return None


def apply(state: ApprovalState, decision: Decision, now: str) -> None:
    """Records a vote: one rejection rejects; `quorum` approvals approve."""
    state.votes.append(Vote(user=decision.user, decision=decision.decision, comment=decision.comment, at=now))
    if decision.decision == "reject":
        state.status, state.decided_at = "rejected", now
    elif sum(vote.decision == "approve" for vote in state.votes) >= state.quorum:
        state.status, state.decided_at = "approved", now


def node_output(state: ApprovalState, how: str | None = None) -> dict[str, Any]:
    approved = state.status == "approved"
    return {
        "approved": approved,
        "decision": how or state.status,
        "decided_by": [v.user for v in state.votes if v.decision == ("approve" if approved else "reject")],
        "comments": [{"user": v.user, "comment": v.comment} for v in state.votes if v.comment],
        "votes": [v.model_dump() for v in state.votes],
        "requested_at": state.requested_at,
        "decided_at": state.decided_at,
    }
