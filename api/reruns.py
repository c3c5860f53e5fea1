"""Reruns from a node: which recorded results a new execution reuses, and the
options of a run started with live breakpoints."""

from __future__ import annotations

from typing import Any

from api.errors import ApiError
from workflows.graph import ancestors_of
from workflows.plan import DebugOptions, NodeSummary, Plan
from workflows.reuse import reusable

REUSABLE = frozenset({"succeeded", "skipped"})


def upstream_of(plan: Plan, node_id: str) -> list[str]:
    """Every ancestor of node_id, in plan (topological) order."""
    seen = ancestors_of({n.id: n.upstream for n in plan.nodes}, node_id)
    return [n.id for n in plan.nodes if n.id in seen]


def reuse_for(plan: Plan, from_node: str, recorded: dict[str, Any],
              inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The recorded results of from_node's ancestors that the rerun reuses.
    An ancestor the source never ran (a node the new definition added) runs;
    one that failed there cannot be reused: rerun from it instead. Approvals
    and nodes whose input changed (other inputs, another config, an upstream
    node that runs again) run again (workflows/reuse.py)."""
    if from_node not in {n.id for n in plan.nodes}:
        raise ApiError(422, "unknown_node", f"no node {from_node!r} in the chosen definition",
                       [{"path": "$.from_node", "code": "unknown_node", "message": "not in the definition"}])
    ancestors = upstream_of(plan, from_node)
    for nid in ancestors:
        summary = recorded.get(nid)
        if summary is not None and summary.get("state") not in REUSABLE:
            raise ApiError(409, "upstream_not_reusable",
                           f"upstream node {nid!r} is {summary.get('state')} in the source execution; "
                           f"rerun from it instead", [{"node": nid, "state": summary.get("state")}])
    return {nid: NodeSummary.model_validate(recorded[nid]).model_dump(mode="json")
            for nid in reusable(plan, ancestors, recorded, inputs)}


def debug_options(debug: DebugOptions | None, plan: Plan) -> dict[str, Any] | None:
    """Row options for an execution started with live breakpoints."""
    if debug is None or not debug.breakpoints:
        return None
    if unknown := sorted(set(debug.breakpoints) - {n.id for n in plan.nodes}):
        raise ApiError(422, "unknown_node", f"breakpoints name unknown nodes: {unknown}",
                       [{"path": "$.debug.breakpoints", "code": "unknown_node", "message": n} for n in unknown])
    return {"debug": debug.model_dump(mode="json")}
