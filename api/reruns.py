"""Reruns from a node: which recorded results a new execution reuses, and the
launch options every start (API or reconciler) passes to the workflow."""

from __future__ import annotations

from typing import Any

from api.errors import ApiError
from core.db.models import Execution
from workflows.graph import ancestors_of
from workflows.plan import DebugOptions, NodeSummary, Plan

REUSABLE = frozenset({"succeeded", "skipped"})


def launch_options(row: Execution) -> dict[str, Any]:
    """GraphInput fields beyond the plan and inputs, from the row."""
    options = row.options or {}
    extra: dict[str, Any] = {}
    if options.get("debug"):
        extra["debug"] = DebugOptions.model_validate(options["debug"])
    if options.get("reuse"):
        extra["reuse"] = {k: NodeSummary.model_validate(v) for k, v in options["reuse"].items()}
    if row.source_execution_id:
        extra["source_execution_id"] = row.source_execution_id
    return extra


def upstream_of(plan: Plan, node_id: str) -> list[str]:
    """Every ancestor of node_id, in plan (topological) order."""
    seen = ancestors_of({n.id: n.upstream for n in plan.nodes}, node_id)
    return [n.id for n in plan.nodes if n.id in seen]


def reuse_for(plan: Plan, from_node: str, recorded: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The recorded results of from_node's ancestors. An ancestor the source
    never ran (a node the new definition added) runs; one that failed there
    cannot be reused: rerun from it instead."""
    if from_node not in {n.id for n in plan.nodes}:
        raise ApiError(422, "unknown_node", f"no node {from_node!r} in the chosen definition",
                       [{"path": "$.from_node", "code": "unknown_node", "message": "not in the definition"}])
    reuse: dict[str, dict[str, Any]] = {}
    for nid in upstream_of(plan, from_node):
        summary = recorded.get(nid)
        if summary is None:
            continue
        if summary.get("state") not in REUSABLE:
            raise ApiError(409, "upstream_not_reusable",
                           f"upstream node {nid!r} is {summary.get('state')} in the source execution; "
                           f"rerun from it instead", [{"node": nid, "state": summary.get("state")}])
        reuse[nid] = NodeSummary.model_validate(summary).model_dump(mode="json")
    return reuse


def debug_options(debug: DebugOptions | None, plan: Plan) -> dict[str, Any] | None:
    """Row options for an execution started with live breakpoints."""
    if debug is None or not debug.breakpoints:
        return None
    if unknown := sorted(set(debug.breakpoints) - {n.id for n in plan.nodes}):
        raise ApiError(422, "unknown_node", f"breakpoints name unknown nodes: {unknown}",
                       [{"path": "$.debug.breakpoints", "code": "unknown_node", "message": n} for n in unknown])
    return {"debug": debug.model_dump(mode="json")}
