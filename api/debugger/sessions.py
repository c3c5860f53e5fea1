"""Building a debug session's state: fetch the execution's history (and its
sub-workflows'), replay each, lay out the timeline, measure it."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from api.debugger import history as hist
from api.debugger import performance, timeline
from api.debugger.recorder import Recording, replay

MAX_DEPTH = 8


async def _replay_tree(client: Client, workflow_id: str, run_id: str | None, into: dict[str, Recording],
                       histories: dict[str, Any], depth: int = 0) -> Recording:
    history = await hist.fetch(client, workflow_id, run_id)
    rec = await replay(history, run_id or "", data_converter=client.data_converter)
    rec.rendered = hist.rendered_configs(history)
    into[workflow_id] = rec
    histories[workflow_id] = history
    if depth < MAX_DEPTH:
        for child in rec.children.values():
            if child["workflow_id"] not in into:
                await _replay_tree(client, child["workflow_id"], None, into, histories, depth + 1)
    return rec


async def load(client: Client, workflow_id: str, run_id: str | None) -> dict[str, Any]:
    """The whole replayed state of one execution, as JSON."""
    recordings: dict[str, Recording] = {}
    histories: dict[str, Any] = {}
    root = await _replay_tree(client, workflow_id, run_id, recordings, histories)
    steps = timeline.number(timeline.build(root, recordings))
    plan_nodes = (root.graph_input or {}).get("plan", {}).get("nodes", [])
    upstream = {n["id"]: n.get("upstream", []) for n in plan_nodes}
    figures = performance.figures(histories[workflow_id], steps, upstream)
    return {
        "workflow_id": workflow_id,
        "run_id": run_id,
        "replay": {
            "method": "Replayer + recording workflow interceptor",
            "workflows": {wid: {"events": r.replayed_events, "status": r.status} for wid, r in recordings.items()},
        },
        "execution_status": root.status,
        "error": root.error,
        "paused_at": root.paused_at,
        "inputs": (root.graph_input or {}).get("inputs", {}),
        "source_execution_id": (root.graph_input or {}).get("source_execution_id"),
        "nodes": [{"id": n["id"], "type": n["type"], "upstream": n.get("upstream", [])} for n in plan_nodes],
        "timeline": steps,
        "failure": timeline.failure_index(steps),
        "performance": figures,
    }
