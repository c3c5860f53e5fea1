"""The approvals mirror in PostgreSQL: one row per approval, kept in step with
the workflow (which is the truth). Written by the worker's `approval_changed`
activity (activities/approvals.py) and by the API when it opens an approval
gate (api/routes/approvals.py).

Notifications may arrive out of order (retries, concurrent events), so the
mirror only moves forward: a state with fewer votes/escalations, or a pending
state after a decision, never overwrites a later one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import literal_column, select
from sqlalchemy.dialects.postgresql import insert

from core import execution_state
from core.db.models import Approval, User
from core.settings import Settings
from workflows.approvals import ApprovalChanged, ApprovalState

# How far along a state is; the mirror never goes back.
RANK_SQL = ("(CASE WHEN approvals.status <> 'pending' THEN 1000000 ELSE 0 END"
            " + COALESCE(jsonb_array_length(approvals.state->'votes'), 0) * 1000"
            " + COALESCE((approvals.state->>'escalations')::int, 0))")


def rank(state: ApprovalState) -> int:
    return (1_000_000 if state.status != "pending" else 0) + len(state.votes) * 1000 + state.escalations


def approval_link(settings: Settings, approval_id: str) -> str:
    return f"{settings.public_api_url.rstrip('/')}/api/v1/enterprise/approvals/{quote(approval_id, safe=':')}"


def _ts(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


async def write_mirror(conn: Any, change: ApprovalChanged) -> None:
    """Upserts the mirror row (and a placeholder execution row for runs started
    outside the API); a state older than the stored one changes nothing."""
    state = change.state
    closing = [v for v in state.votes if state.status != "pending"]
    last = closing[-1] if closing else None
    values: dict[str, Any] = {
        "approvers": state.approvers, "status": state.status, "quorum": state.quorum,
        "instructions": state.instructions, "state": state.model_dump(mode="json"),
        "temporal_workflow_id": change.workflow_id, "temporal_run_id": change.run_id,
        "timeout_at": _ts(state.timeout_at), "decided_at": _ts(state.decided_at),
        "comment": last.comment if last else None,
        "decided_by": select(User.id).where(User.username == last.user).scalar_subquery() if last else None,
        "updated_at": datetime.now(UTC),
    }
    # An approval inside a sub-workflow ("<execution>.<node>") belongs to the
    # top execution (its owner, its listing); decisions go to the child's workflow id.
    root = state.execution_id.split(".", 1)[0]
    nested = root != state.execution_id
    placeholder = execution_state.placeholder(root, change.workflow_id.split(".", 1)[0],
                                              None if nested else change.run_id, state.started_by)
    upsert = insert(Approval).values(
        id=state.approval_id, execution_id=root, node_id=state.approval_id[len(root) + 1:][:64],
        created_at=_ts(state.requested_at), **values,
    ).on_conflict_do_update(
        index_elements=[Approval.id], set_=values,
        where=literal_column(RANK_SQL) <= rank(state),
    )
    await conn.execute(placeholder)
    await conn.execute(upsert)
