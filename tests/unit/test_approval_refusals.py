"""Approval refusals travel as codes (issue 9.4): workflows.approvals.refusal
names each with a `Refusal`, the validator raises it as the ApplicationError
type, and the API answers by that type, never by the message's words."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from api.routes.approvals import REFUSALS, refused
from workflows.approvals import ApprovalState, Decision, Refusal, Vote, refusal


def state(**changes) -> ApprovalState:
    fields = {"approval_id": "e1:gate", "execution_id": "e1", "node_id": "gate", "quorum": 2,
              "approvers": ["user:ann", "role:ops"], "requested_at": "2024-01-01T00:00:00+00:00",
              "started_by": "sam"}
    return ApprovalState(**{**fields, **changes})


def decision(user: str = "ann", **changes) -> Decision:
    return Decision(approval_id="e1:gate", user=user, decision="approve", **changes)


VOTED = [Vote(user="ann", decision="approve", at="2024-01-01T00:01:00+00:00")]


@pytest.mark.parametrize(("st", "d", "code"), [
    (None, decision(), Refusal.NOT_FOUND),
    (state(status="approved"), decision(), Refusal.CLOSED),
    (state(status="cancelled"), decision(), Refusal.CLOSED),
    (state(approvers=["user:sam"]), decision("sam"), Refusal.SELF_APPROVAL),
    (state(), decision("bob"), Refusal.NOT_AN_APPROVER),
    (state(), decision("bob", principals=["role:dev"]), Refusal.NOT_AN_APPROVER),
    (state(votes=VOTED), decision(), Refusal.DUPLICATE_VOTE),
])
def test_each_refusal_has_its_code(st, d, code):
    found = refusal(st, d)
    assert found is not None and found.code is code and found.message


@pytest.mark.parametrize(("st", "d"), [
    (state(), decision()),
    (state(), decision("bob", principals=["role:ops"])),
    (state(approvers=["user:sam"], allow_self_approval=True), decision("sam")),
])
def test_allowed_decisions_are_not_refused(st, d):
    assert refusal(st, d) is None


@pytest.mark.parametrize(("code", "status", "error_code"), [
    (Refusal.NOT_FOUND, 404, "not_found"),
    (Refusal.CLOSED, 409, "approval_closed"),
    (Refusal.SELF_APPROVAL, 403, "self_approval_refused"),
    (Refusal.NOT_AN_APPROVER, 403, "not_an_approver"),
    (Refusal.DUPLICATE_VOTE, 409, "duplicate_vote"),
])
def test_the_api_maps_the_type_whatever_the_words(code, status, error_code):
    """The answers users saw when the API matched English text, now chosen by
    the type alone: a reworded message changes nothing but the message."""
    answer = refused(ApplicationError("reworded: nothing the old table matched", type=code.value))
    assert (answer.status, answer.code) == (status, error_code)
    assert answer.message == "reworded: nothing the old table matched"


def test_every_code_has_an_answer():
    assert set(REFUSALS) == set(Refusal)


@pytest.mark.parametrize("cause", [
    ApplicationError("refused: this decision was not sent through the platform's API", type="unsigned_command"),
    ApplicationError("user 'bob' is not an approver of 'e1:gate'", type="approval_refused"),  # text alone: no code
    ApplicationError("no type at all"),
    RuntimeError("not an application error"),
])
def test_other_refusals_answer_the_generic_409(cause):
    answer = refused(cause)
    assert (answer.status, answer.code) == (409, "approval_refused")
