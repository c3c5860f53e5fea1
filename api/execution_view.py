"""How an execution's nodes and waits are shown: every node of the plan in
plan order with an explicit state, and the approvals a running execution
waits on.

The row's `nodes` column is JSONB, which keeps no key order, so the order
comes from the plan kept on the row (or, for a scheduled run, whose row the
workflow wrote, from its version's definition). Approvals come from the
workflow when it answers, and from the approvals mirror for those it cannot
show (a sub-workflow's) or when it cannot be asked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.schemas.executions import NodePublic, WaitingFor
from core.approvals_mirror import approval_link
from core.db.models import Approval, Execution, WorkflowVersion
from core.settings import Settings
from workflows.approvals import ApprovalState
from workflows.plan import GraphResult, NodeSummary

OPEN = ("pending", "running")


async def node_order(session, row: Execution) -> list[str]:
    """The plan's node ids in plan (topological) order."""
    planned = [n["id"] for n in (row.plan or {}).get("nodes", [])]
    if planned or row.workflow_id is None or row.version is None:
        return planned
    definition = await session.scalar(select(WorkflowVersion.definition).where(
        WorkflowVersion.workflow_id == row.workflow_id, WorkflowVersion.version == row.version))
    return [n["id"] for n in (definition or {}).get("nodes", []) if isinstance(n, dict) and "id" in n]


def summaries(order: list[str], nodes: dict[str, Any] | None) -> dict[str, NodeSummary]:
    """Every node in `order` (pending when nothing was recorded for it yet),
    then any recorded node the order does not name."""
    recorded = {nid: NodeSummary.model_validate(v) for nid, v in (nodes or {}).items()}
    ordered = {nid: recorded.pop(nid, NodeSummary()) for nid in order}
    return {**ordered, **recorded}


def public_nodes(nodes: dict[str, NodeSummary]) -> dict[str, NodePublic]:
    return {nid: NodePublic.of(summary) for nid, summary in nodes.items()}


async def waiting_for(session, settings: Settings, row: Execution,
                      progress: GraphResult | None) -> list[WaitingFor]:
    """The pending approvals of an execution that has not finished."""
    if row.status not in OPEN or (progress is not None and progress.status not in ("running", "awaiting_approval")):
        return []
    live = {a.approval_id: a for a in progress.approvals} if progress is not None else {}
    mirrored = (await session.scalars(select(Approval).where(
        Approval.execution_id == row.id, Approval.status == "pending").order_by(Approval.created_at, Approval.id))).all()
    pending = [a for a in live.values() if a.status == "pending"]
    # The workflow knows its own approvals best; the mirror adds what it cannot see.
    pending += [ApprovalState.model_validate(m.state) for m in mirrored if m.id not in live and m.state]
    return [WaitingFor(approval_id=a.approval_id, node_id=a.node_id, link=approval_link(settings, a.approval_id))
            for a in pending]
