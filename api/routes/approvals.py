"""/api/v1/enterprise/approvals: run a workflow behind an approval gate, list
what waits on me, decide, and read an approval with its votes.

Temporal is the source of truth: a decision is the workflow's validated
`decide` update (refused by `refusal()`, answered by its code), a read asks
the workflow's `approvals` query; the `approvals` table is a mirror for listing.
Who may see an approval: its approvers (as they are now), the execution's
owner and admins; anyone else gets 404.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from sqlalchemy import Text, select
from sqlalchemy.dialects.postgresql import array as pg_array
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import starts
from api.access import load_workflow, owner_or_admin
from api.approvers import ID_PREFIX, bind_config, display_names, resolve
from api.deps import ExecuteUser, Principal, ReadUser, SessionDep, StateDep
from api.errors import ApiError, not_found
from api.schemas.approvals import ApprovalPublic, DecisionRequest, GateAccepted, GateCreate
from api.schemas.common import ResourceId
from core.approvals_mirror import approval_link, write_mirror
from core.db.models import Approval, Execution, Workflow
from workflows import signatures
from workflows.approvals import (
    GATE_NODE, ApprovalChanged, ApprovalState, Decision, Refusal, approver_matches, refusal,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/enterprise/approvals", tags=["approvals"])
QUERY_TIMEOUT = timedelta(seconds=5)
ApprovalId = Annotated[str, Path(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="<execution id>:<node id>")]
# The codes of workflows.approvals.refusal (the validator's ApplicationError
# type) -> the HTTP answer (status, error code) users see.
REFUSALS: dict[Refusal, tuple[int, str]] = {
    Refusal.NOT_FOUND: (404, "not_found"),
    Refusal.CLOSED: (409, "approval_closed"),
    Refusal.SELF_APPROVAL: (403, "self_approval_refused"),
    Refusal.NOT_AN_APPROVER: (403, "not_an_approver"),
    Refusal.DUPLICATE_VOTE: (409, "duplicate_vote"),
}


# -- who is asking -------------------------------------------------------------------

def principals(principal: Principal) -> list[str]:
    """What an approver entry may name: user:<name>, id:<user id> (what a saved version's
    named users are bound to), scope:<scope>, role:<role> (each role the user holds, and
    role:admin for an admin using an admin-scoped token)."""
    found = [f"user:{principal.user.username}", f"{ID_PREFIX}{principal.id}",
             *(f"scope:{s}" for s in sorted(principal.scopes))]
    found += [f"role:{r}" for r in sorted(set(principal.user.roles or [])) if r != "admin"]
    if principal.is_admin:
        found.append("role:admin")
    return found


def is_approver(state: ApprovalState, principal: Principal) -> bool:
    names = principals(principal)
    return any(approver_matches(a, principal.user.username, names) for a in state.approvers)


def waits_on(state: ApprovalState, principal: Principal) -> bool:
    """The user could decide it now: the validator's own rules say yes."""
    probe = Decision(approval_id=state.approval_id, user=principal.user.username,
                     principals=principals(principal), decision="approve")
    return refusal(state, probe) is None


# -- gate ------------------------------------------------------------------------------

@router.post("/workflows/{workflow_id}/request", status_code=status.HTTP_202_ACCEPTED,
             response_model=GateAccepted,
             responses={422: {"description": "invalid inputs or approval config"}})
async def request_run(workflow_id: ResourceId, body: GateCreate, principal: ExecuteUser, session: SessionDep,
                      state: StateDep, request: Request) -> GateAccepted:
    """Starts an execution that waits (`running`, nothing runs) until its gate is approved."""
    wf = await load_workflow(session, principal, workflow_id)
    prepared = await starts.prepare(session, principal, wf, body.version, body.inputs, state.settings)
    gate = body.approval.model_dump(mode="json")
    gate = bind_config(gate, await resolve(session, [("$.approval", gate)]))
    # As for every start: the row (gate included) first, then the start.
    row = starts.new_row(prepared, principal, trigger="approval_gate", gate=gate)
    await starts.accept(session, state, request, row)
    approval_id = f"{row.id}:{GATE_NODE}"
    return GateAccepted.from_row(row, state.settings, approval_id=approval_id,
                                 link=approval_link(state.settings, approval_id))


# -- reading ---------------------------------------------------------------------------

@router.get("/pending", response_model=list[ApprovalPublic])
async def pending(principal: ReadUser, session: SessionDep, state: StateDep,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ApprovalPublic]:
    """Everything waiting on the current user, oldest first, with its instructions and context."""
    user = principal.user.username
    names = [user, *principals(principal)]
    rows = (await session.execute(
        select(Approval, Execution.workflow_id, Workflow.name)
        .join(Execution, Execution.id == Approval.execution_id)
        .outerjoin(Workflow, Workflow.id == Execution.workflow_id)
        .where(Approval.status == "pending", Approval.approvers.has_any(pg_array(names, type_=Text)))
        .order_by(Approval.created_at, Approval.id).limit(limit))).all()
    waiting = [(ApprovalState.model_validate(approval.state), approval, workflow_id, workflow_name)
               for approval, workflow_id, workflow_name in rows if approval.state is not None]
    waiting = [w for w in waiting if waits_on(w[0], principal)]
    names = await display_names(session, [a for st, *_ in waiting for a in st.approvers])
    return [ApprovalPublic.from_state(st, state.settings, approval, workflow_id=workflow_id,
                                      workflow_name=workflow_name, live=False, names=names)
            for st, approval, workflow_id, workflow_name in waiting]


@router.get("/{approval_id}", response_model=ApprovalPublic)
async def get_approval(approval_id: ApprovalId, principal: ReadUser, session: SessionDep,
                       state: StateDep) -> ApprovalPublic:
    """The approval as the workflow has it now (the mirror once the workflow is gone), with its votes."""
    target, st, live = await _visible_state(session, state, principal, approval_id)
    return ApprovalPublic.from_state(st, state.settings, target.mirror, workflow_id=target.execution.workflow_id,
                                     workflow_name=await _workflow_name(session, target), live=live,
                                     names=await display_names(session, st.approvers))


# -- deciding ----------------------------------------------------------------------------

@router.post("/{approval_id}/approve", response_model=ApprovalPublic,
             responses={403: {"description": "not an approver, or the starter approving their own run"},
                        409: {"description": "already voted, or the approval is closed"}})
async def approve(approval_id: ApprovalId, principal: ExecuteUser, session: SessionDep, state: StateDep,
                  request: Request, body: DecisionRequest | None = None) -> ApprovalPublic:
    return await _decide(approval_id, "approve", body or DecisionRequest(), principal, session, state, request)


@router.post("/{approval_id}/reject", response_model=ApprovalPublic,
             responses={403: {"description": "not an approver, or the starter rejecting their own run"},
                        409: {"description": "already voted, or the approval is closed"}})
async def reject(approval_id: ApprovalId, principal: ExecuteUser, session: SessionDep, state: StateDep,
                 request: Request, body: DecisionRequest | None = None) -> ApprovalPublic:
    return await _decide(approval_id, "reject", body or DecisionRequest(), principal, session, state, request)


async def _decide(approval_id: str, decision: str, body: DecisionRequest, principal: Principal, session,
                  state, request: Request) -> ApprovalPublic:
    request.scope["agentic.resource"] = ("approvals", approval_id)
    target, _, _ = await _visible_state(session, state, principal, approval_id)
    client = state.temporal
    handle = client.get_workflow_handle(target.workflow_id)
    await session.commit()  # hold no transaction (or connection) while Temporal answers
    vote = Decision(approval_id=approval_id, user=principal.user.username, principals=principals(principal),
                    decision=decision, comment=body.comment, issued_at=datetime.now(UTC).isoformat())
    # Signed for this workflow: the validator refuses decisions that did not come through here.
    vote = signatures.signed(vote, "decision", workflow_id=target.workflow_id)
    try:
        new_state = await asyncio.wait_for(handle.execute_update("decide", vote, result_type=ApprovalState),
                                           UPDATE_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise ApiError(503, "temporal_unavailable",
                       "no worker took the decision in time; nothing was recorded, try again") from None
    except WorkflowUpdateFailedError as err:
        raise refused(err.cause or err) from None
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise answer(Refusal.CLOSED, "the execution waiting on this approval has finished") from None
        raise ApiError(503, "temporal_unavailable", err.message) from None
    # The mirror follows at once (the workflow's activity writes the same state too).
    change = ApprovalChanged(event="decided" if new_state.status != "pending" else "requested",
                             state=new_state, workflow_id=target.workflow_id, run_id=target.run_id or "")
    try:
        async with state.sessions.begin() as mirror_session:
            await write_mirror(await mirror_session.connection(), change)
    except Exception:  # noqa: BLE001 - the decision stands; the activity writes the mirror
        log.exception("mirror of %s not written by the API", approval_id)
    return ApprovalPublic.from_state(new_state, state.settings, target.mirror,
                                     workflow_id=target.execution.workflow_id,
                                     workflow_name=await _workflow_name(session, target), live=True,
                                     names=await display_names(session, new_state.approvers))


# An update waits for a worker to run the validator; when none polls (a
# deploy, a crash) it would wait forever.
UPDATE_TIMEOUT_S = 15.0


def answer(code: Refusal, message: str) -> ApiError:
    status_code, error_code = REFUSALS[code]
    return ApiError(status_code, error_code, message)


def refused(cause: BaseException) -> ApiError:
    """The workflow's refusal, mapped by its ApplicationError type. Another
    type (e.g. `unsigned_command`) is a refusal this API has no answer for."""
    message = getattr(cause, "message", None) or str(cause)
    try:
        return answer(Refusal(cause.type if isinstance(cause, ApplicationError) else None), message)
    except ValueError:
        return ApiError(409, "approval_refused", message)


# -- helpers -------------------------------------------------------------------------------

class _Target:
    def __init__(self, execution: Execution, mirror: Approval | None, workflow_id: str, run_id: str | None):
        self.execution, self.mirror, self.workflow_id, self.run_id = execution, mirror, workflow_id, run_id
        self.approval_id = ""

    @property
    def mirror_state(self) -> ApprovalState | None:
        return ApprovalState.model_validate(self.mirror.state) if self.mirror and self.mirror.state else None


async def _target(session, principal: Principal, approval_id: str) -> _Target:
    """The execution (and Temporal workflow) an approval id belongs to."""
    mirror = await session.get(Approval, approval_id)
    # "<execution>[.<sub-workflow node>...]:<node>": the workflow it waits in, and the top execution.
    scope = approval_id.rpartition(":")[0]
    execution_id = mirror.execution_id if mirror else scope.split(".", 1)[0]
    execution = await session.get(Execution, execution_id) if execution_id else None
    if execution is None:
        raise not_found("approval")
    if mirror and mirror.temporal_workflow_id:
        workflow_id = mirror.temporal_workflow_id
    else:
        workflow_id = execution.temporal_workflow_id if scope == execution.id else f"exec-{scope}"
    target = _Target(execution, mirror, workflow_id, mirror.temporal_run_id if mirror else execution.temporal_run_id)
    target.approval_id = approval_id
    return target


async def _workflow_name(session, target: _Target) -> str | None:
    """As /pending shows it: the name of the workflow the execution runs (kept after a delete)."""
    workflow_id = target.execution.workflow_id
    return await session.scalar(select(Workflow.name).where(Workflow.id == workflow_id)) if workflow_id else None


async def _live_state(state, target: _Target) -> ApprovalState | None:
    """The approval as the workflow has it; None when it cannot be asked."""
    if target.execution.status not in ("pending", "running"):
        return None
    try:
        handle = state.temporal.get_workflow_handle(target.workflow_id)
        approvals = await handle.query("approvals", result_type=list[ApprovalState], rpc_timeout=QUERY_TIMEOUT)
    except Exception as err:  # noqa: BLE001 - fall back to the mirror
        log.info("approvals of %s unavailable: %s", target.workflow_id, err)
        return None
    return next((a for a in approvals if a.approval_id == target.approval_id), None)


async def _visible_state(session, state, principal: Principal,
                         approval_id: str) -> tuple[_Target, ApprovalState, bool]:
    """The approval's target and state (and whether it is live, from the workflow,
    not the mirror), if the caller may see it."""
    target = await _target(session, principal, approval_id)
    live = await _live_state(state, target)
    st = live or target.mirror_state
    if st is None:
        raise not_found("approval")
    _check_visible(st, target, principal)
    return target, st, live is not None


def _check_visible(st: ApprovalState, target: _Target, principal: Principal) -> None:
    if owner_or_admin(principal, target.execution.owner_id) or is_approver(st, principal):
        return
    # Someone who once could decide (e.g. voted) still sees it.
    if any(v.user == principal.user.username for v in st.votes):
        return
    raise not_found("approval")

