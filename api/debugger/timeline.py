"""The steppable node timeline of a replayed execution, and how a cursor moves.

A boundary is one node state change the interpreter made: `enter` (the node
starts, with its input: template and rendered config), `paused` (held at a live breakpoint),
`waiting` (for an approval) or `exit` (succeeded, failed, skipped, cancelled or
reused, with output or error and attempts). A sub-workflow's boundaries follow
its node's `enter`, one level deeper, with the call stack that leads there.
Everything here is pure: the session state is plain JSON kept in PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from api.debugger.recorder import Recording
from workflows.expressions import ExpressionError, ExpressionLimitError, analyze, evaluate_condition
from workflows.graph import ancestors_of

KINDS = {"running": "enter", "paused": "paused", "waiting": "waiting"}
CONDITION_NAMES = frozenset({"input", "output", "variables", "error", "state", "attempts", "node"})


def build(rec: Recording, children: dict[str, Recording], *, stack: list[dict] | None = None) -> list[dict]:
    """Boundaries of one run (children: node id -> the sub-workflow's recording,
    whose own children are looked up by the same rule, keyed by workflow id)."""
    stack = stack or []
    graph_input = rec.graph_input or {}
    plan_nodes = {n["id"]: n for n in (graph_input.get("plan") or {}).get("nodes", [])}
    upstream = {nid: n.get("upstream", []) for nid, n in plan_nodes.items()}
    inputs = graph_input.get("inputs", {})
    settled: dict[str, dict[str, Any]] = {}
    entered: dict[str, Any] = {}
    out: list[dict] = []
    for change in rec.changes:
        nid, state = change["node_id"], change["state"]
        node = plan_nodes.get(nid, {})
        kind = KINDS.get(state, "exit")
        variables = {"inputs": inputs, "nodes": {
            k: v for k, v in settled.items() if k in ancestors_of(upstream, nid)}}
        if kind in ("enter", "paused", "waiting") or nid not in entered:
            entered[nid] = _node_input(rec, node, variables)
        boundary = {
            "kind": kind, "node_id": nid, "node_type": node.get("type"), "state": state,
            "at": change["at"], "attempts": change.get("attempts", 0),
            "input": entered[nid], "output": change.get("output") if kind == "exit" else None,
            "error": change.get("error") if kind == "exit" else None,
            "reused": bool(change.get("reused")), "variables": variables,
            "workflow_id": rec.workflow_id, "stack": stack, "depth": len(stack),
        }
        out.append(boundary)
        if kind == "exit":
            settled[nid] = {"output": change.get("output"), "status": state, "error": change.get("error")}
        if kind == "enter" and node.get("type") == "sub_workflow" and nid in rec.children:
            child = children.get(rec.children[nid]["workflow_id"])
            if child is not None:
                out.extend(build(child, children, stack=[*stack, {"workflow_id": rec.workflow_id, "node_id": nid}]))
    return out


def _node_input(rec: Recording, node: dict, variables: dict) -> dict[str, Any]:
    """The node's resolved input: the NodeCall its activity received (`config`
    is the template, `rendered` what it rendered into, secrets masked; None
    while it runs), the child's inputs, or (for nodes the interpreter runs
    itself) config + context."""
    nid = node.get("id")
    if nid in rec.calls:
        return {**rec.calls[nid], "rendered": rec.rendered.get(nid)}
    if nid in rec.children:
        child = rec.children[nid].get("input") or {}
        return {"node_id": nid, "node_type": node.get("type"), "config": node.get("config", {}),
                "workflow_id": rec.children[nid]["workflow_id"], "inputs": child.get("inputs")}
    return {"node_id": nid, "node_type": node.get("type"), "config": node.get("config", {}),
            "context": variables}


def number(timeline: list[dict]) -> list[dict]:
    for i, boundary in enumerate(timeline):
        boundary["index"] = i
    return timeline


def failure_index(timeline: list[dict]) -> int | None:
    for b in timeline:
        if b["kind"] == "exit" and b["state"] == "failed":
            return b["index"]
    return None


# -- breakpoints ---------------------------------------------------------------

def check_condition(condition: str) -> None:
    """Raises ExpressionError unless the condition parses and reads only what a
    boundary offers."""
    text = condition if "{{" in condition else "{{ " + condition + " }}"
    found = analyze(text)
    if found.unsafe:
        raise ExpressionError(f"unsafe access: {', '.join(found.unsafe)}")
    if found.refused:
        raise ExpressionError("; ".join(found.refused))
    unknown = found.names - CONDITION_NAMES
    if unknown:
        raise ExpressionError(f"unknown name(s) {sorted(unknown)}; use {sorted(CONDITION_NAMES)}")


def hits(breakpoint: dict, boundary: dict) -> bool:
    if breakpoint["node_id"] != boundary["node_id"]:
        return False
    if not breakpoint.get("condition"):
        return True
    scope = {"input": boundary["input"], "output": boundary["output"], "variables": boundary["variables"],
             "error": boundary["error"], "state": boundary["state"], "attempts": boundary["attempts"],
             "node": boundary["node_id"]}
    try:
        return evaluate_condition(breakpoint["condition"], scope)
    except ExpressionLimitError as err:
        raise ConditionOverLimit(breakpoint["id"], str(err)) from None  # not a "no": the step is undecided
    except ExpressionError:
        return False  # e.g. `output.x` before the node has an output


# -- stepping ------------------------------------------------------------------

class StepError(Exception):
    pass


class ConditionOverLimit(Exception):
    """A breakpoint's condition went over an expression limit."""

    def __init__(self, breakpoint_id: str, message: str):
        super().__init__(message)
        self.breakpoint_id, self.message = breakpoint_id, message


def step(timeline: list[dict], cursor: int, mode: str, breakpoints: list[dict]) -> tuple[int, str, str | None]:
    """The new cursor, why it stopped there, and the breakpoint that hit."""
    last = len(timeline) - 1
    if last < 0:
        return 0, "end", None
    depth = timeline[cursor]["depth"]
    if mode == "back":
        if cursor == 0:
            raise StepError("already at the first boundary")
        return cursor - 1, "step", None
    if cursor >= last and mode != "back":
        return last, "end", None
    if mode == "into":
        return cursor + 1, "step", None
    if mode == "next":
        return _first(timeline, cursor, lambda b: b["depth"] <= depth, "step")
    if mode == "out":
        if depth == 0:
            raise StepError("the cursor is not inside a sub-workflow")
        return _first(timeline, cursor, lambda b: b["depth"] < depth, "step")
    if mode == "continue":
        for b in timeline[cursor + 1:]:
            for bp in breakpoints:
                if hits(bp, b):
                    return b["index"], "breakpoint", bp["id"]
            if b["kind"] == "exit" and b["state"] == "failed":
                return b["index"], "error", None
        return last, "end", None
    raise StepError(f"unknown mode {mode!r}")


def _first(timeline, cursor, test, reason) -> tuple[int, str, None]:
    for b in timeline[cursor + 1:]:
        if test(b):
            return b["index"], reason, None
    return len(timeline) - 1, "end", None
