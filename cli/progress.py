"""Printing a run's nodes as they start and finish, from successive snapshots
of their summaries (the workflow's `progress` query locally, the API's
GET /executions/{id} remotely). Each transition is printed once; a node that
started and finished between two snapshots gets both lines. The lines of one
snapshot are printed in the order they happened (by the nodes' timestamps),
not in the order the snapshot lists its nodes."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

from workflows.plan import TERMINAL_STATES, NodeSummary

STARTED = ("running", "waiting", "paused")
# At one instant (one workflow task) nodes finish, then the nodes they unblock
# start; a node's own end never precedes its start.
FINISH, START, FINISH_OWN = 0, 1, 2


class NodePrinter:
    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._seen: dict[str, str] = {}

    def update(self, nodes: Mapping[str, NodeSummary]) -> None:
        lines: list[tuple[datetime | None, int, str]] = []
        for node_id, node in nodes.items():
            before = self._seen.get(node_id, "pending")
            if node.state == before:
                continue
            self._seen[node_id] = node.state
            started = _at(node.started_at)
            if node.state in STARTED:
                lines.append((started, START, f"{node_id}: {node.state}"))
            elif node.state in TERMINAL_STATES:
                if before == "pending" and node.started_at and not node.reused:
                    # Its start fell between two snapshots.
                    lines.append((started, START, f"{node_id}: running"))
                finished = _at(node.finished_at)
                rank = FINISH if finished is None or finished != started else FINISH_OWN
                lines.append((finished, rank, f"{node_id}: {_finished(node)}"))
            elif node.state != "pending":  # a state this CLI does not know (a newer API's): as it is
                lines.append((None, START, f"{node_id}: {node.state}"))
        # Stable: lines without a time keep the snapshot's order, after the others.
        for _, _, text in sorted(lines, key=lambda line: (line[0] is None, line[0] or datetime.min,
                                                          line[1] if line[0] else 0)):
            print(f"  {text}", file=self._out or sys.stderr, flush=True)


def _at(stamp: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


def _finished(node: NodeSummary) -> str:
    text = node.state + (" (reused)" if node.reused else "")
    if node.duration_ms is not None and node.started_at and not node.reused:
        text += f" in {node.duration_ms:.0f} ms"
    if node.error:
        text += f": {node.error.get('message', node.error)}"
    return text
