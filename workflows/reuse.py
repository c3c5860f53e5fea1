"""When a rerun may reuse a recorded node result instead of running the node.

A result stands for the input it was computed from, so every node records a
digest of its resolved input when it starts: its type and raw config, the run
inputs its expressions read, and the results of the nodes they read. A rerun
reuses a node only when the digest it would have now equals the recorded one.
Approvals (and sub-workflows that contain one) are never reused: a decision is
about what was shown to the approver, so a rerun asks again.

Pure and deterministic: the interpreter (workflow code) and the API (which
answers which nodes a rerun reuses) compute the same digests.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from workflows.expressions import ExpressionError, analyze
from workflows.plan import NodePlan, Plan

ALL_INPUTS = None  # inputs_read(): an expression may read any input


def never_reused(node: NodePlan) -> bool:
    if node.type == "approval":
        return True
    return node.child is not None and any(never_reused(n) for n in node.child.nodes)


def inputs_read(config: Any) -> frozenset[str] | None:
    """The run inputs a config's expressions read by name, or ALL_INPUTS when
    one reads `inputs` as a whole or by a computed key."""
    keys: set[str] = set()
    for text in _strings(config):
        if "{{" not in text and "{%" not in text:
            continue
        found = _inputs_in(text)
        if found is ALL_INPUTS:
            return ALL_INPUTS
        keys |= found
    return frozenset(keys)


@functools.lru_cache(maxsize=4096)
def _inputs_in(text: str) -> frozenset[str] | None:
    try:
        found = analyze(text)
    except ExpressionError:
        return ALL_INPUTS  # cannot tell: assume everything
    return ALL_INPUTS if found.whole_inputs else frozenset(found.input_keys)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def input_digest(node: NodePlan, inputs: dict[str, Any], upstream: dict[str, Any]) -> str:
    """`upstream`: what the node's expressions see of each plan node it reads
    ({"output", "status", "error"}, as in the interpreter's context). Reads of
    an inline sub-workflow's own nodes are part of the config already."""
    keys = inputs_read(node.config)
    seen = inputs if keys is ALL_INPUTS else {k: [k in inputs, inputs.get(k)] for k in sorted(keys)}
    payload = {"type": node.type, "config": node.config, "inputs": seen,
               "nodes": {nid: upstream[nid] for nid in sorted(upstream)}}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_reads(node: NodePlan, plan_ids) -> list[str]:
    """The plan's nodes among those a node's expressions read."""
    return [nid for nid in node.reads if nid in plan_ids]


def seen_by(recorded: dict[str, Any]) -> dict[str, Any]:
    """What expressions see of a recorded node summary."""
    return {"output": recorded.get("output"), "status": recorded.get("state"), "error": recorded.get("error")}


def reusable(plan: Plan, candidates: list[str], recorded: dict[str, dict[str, Any]],
             inputs: dict[str, Any]) -> list[str]:
    """Which of `candidates` (in plan order) a rerun with `inputs` reuses: a
    recorded success whose input digest is unchanged, whose upstream nodes are
    reused too, and that is no approval."""
    by_id = {n.id: n for n in plan.nodes}
    chosen: list[str] = []
    for nid in candidates:
        node, summary = by_id[nid], recorded.get(nid) or {}
        if summary.get("state") != "succeeded" or never_reused(node):
            continue
        reads = plan_reads(node, by_id)
        if any(dep not in chosen for dep in {*node.upstream, *reads}):
            continue  # it would see results computed again
        upstream = {dep: seen_by(recorded[dep]) for dep in reads}
        if summary.get("input_digest") == input_digest(node, inputs, upstream):
            chosen.append(nid)
    return chosen
