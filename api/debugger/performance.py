"""Per-node figures from history timestamps, the critical path, and totals.

- activity nodes: queue wait = ActivityTaskScheduled -> ActivityTaskStarted;
  run time = ActivityTaskStarted -> closed (completed, failed, timed out,
  cancelled). Temporal writes the started event once, for the last attempt:
  with retries, scheduled -> started is the time spent in earlier attempts and
  backoff (retry time), and the queue wait of the last attempt is not recorded.
- pure nodes (local activities): no queue; run time and attempt from what the
  activity reported in its marker (the marker's own time is when the workflow
  task that ran it completed).
- delay nodes: TimerStarted -> TimerFired (the timer's summary names the node).
- sub-workflows: StartChildWorkflowExecutionInitiated -> ChildWorkflowExecutionStarted
  (queue wait) -> child closed (run time).
- approval waits and live-breakpoint pauses come from the replayed timeline,
  whose times are the workflow tasks of the same history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.client import WorkflowHistory

from api.debugger.history import (
    at, failure_of, local_activity, ms, name, node_of_activity, reported_time, summary,
)
from api.schemas.common import utc_iso

_CLOSED_ACTIVITY = {"ActivityTaskCompleted": "completed", "ActivityTaskFailed": "failed",
                    "ActivityTaskTimedOut": "timed_out", "ActivityTaskCanceled": "cancelled"}
_CLOSED_CHILD = {"ChildWorkflowExecutionCompleted": "completed", "ChildWorkflowExecutionFailed": "failed",
                 "ChildWorkflowExecutionCanceled": "cancelled", "ChildWorkflowExecutionTimedOut": "timed_out",
                 "ChildWorkflowExecutionTerminated": "terminated"}


def _attrs(event) -> Any:
    return getattr(event, event.WhichOneof("attributes"))


def figures(history: WorkflowHistory, timeline: list[dict], upstream: dict[str, list[str]]) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    scheduled: dict[int, tuple[str, datetime]] = {}
    timers: dict[str, tuple[str, datetime]] = {}
    children: dict[int, tuple[str, datetime]] = {}
    child_started: dict[int, datetime] = {}
    first = last = None
    closed_status = None
    for event in history.events:
        kind, when = name(event), at(event)
        first = first or when
        last = when
        a = _attrs(event)
        if kind == "MarkerRecorded":
            _local(nodes, local_activity(event))
        elif kind == "ActivityTaskScheduled" and a.activity_type.name.startswith("node."):
            nid = node_of_activity(a.activity_id)
            scheduled[event.event_id] = (nid, when)
            fig = _fig(nodes, nid, "activity")
            fig["scheduled_at"] = fig["scheduled_at"] or utc_iso(when)
        elif kind == "ActivityTaskStarted" and a.scheduled_event_id in scheduled:
            nid, sched = scheduled[a.scheduled_event_id]
            fig = nodes[nid]
            fig["attempts"] += a.attempt
            fig["started_at"] = utc_iso(when)
            if a.attempt == 1:
                fig["queue_wait_ms"] = _add(fig["queue_wait_ms"], ms(sched, when))
            else:
                fig["retry_ms"] = _add(fig["retry_ms"], ms(sched, when))
        elif kind in _CLOSED_ACTIVITY and a.scheduled_event_id in scheduled:
            nid, sched = scheduled[a.scheduled_event_id]
            fig = nodes[nid]
            fig["closed_at"] = utc_iso(when)
            fig["outcome"] = _CLOSED_ACTIVITY[kind]
            if fig["started_at"]:
                fig["run_ms"] = _add(fig["run_ms"], ms(datetime.fromisoformat(fig["started_at"]), when))
            if kind == "ActivityTaskFailed":
                fig["error"] = failure_of(a.failure)
        elif kind == "TimerStarted":
            nid = (summary(event) or "").rsplit(" (", 1)[0] or a.timer_id
            timers[a.timer_id] = (nid, when)
            fig = _fig(nodes, nid, "timer")
            fig["scheduled_at"] = fig["started_at"] = utc_iso(when)
        elif kind in ("TimerFired", "TimerCanceled") and a.timer_id in timers:
            nid, started = timers[a.timer_id]
            fig = nodes[nid]
            fig["closed_at"] = utc_iso(when)
            fig["timer_wait_ms"] = ms(started, when)
            fig["outcome"] = "fired" if kind == "TimerFired" else "cancelled"
        elif kind == "StartChildWorkflowExecutionInitiated":
            nid = a.workflow_id.rsplit(".", 1)[-1]
            children[event.event_id] = (nid, when)
            fig = _fig(nodes, nid, "child")
            fig["scheduled_at"] = utc_iso(when)
            fig["child_workflow_id"] = a.workflow_id
        elif kind == "ChildWorkflowExecutionStarted" and a.initiated_event_id in children:
            nid, initiated = children[a.initiated_event_id]
            child_started[a.initiated_event_id] = when
            nodes[nid]["started_at"] = utc_iso(when)
            nodes[nid]["queue_wait_ms"] = ms(initiated, when)
            nodes[nid]["attempts"] = 1
        elif kind in _CLOSED_CHILD and a.initiated_event_id in children:
            nid, initiated = children[a.initiated_event_id]
            nodes[nid]["closed_at"] = utc_iso(when)
            nodes[nid]["run_ms"] = ms(child_started.get(a.initiated_event_id), when)
            nodes[nid]["outcome"] = _CLOSED_CHILD[kind]
        elif kind.startswith("WorkflowExecution") and kind[len("WorkflowExecution"):] in (
                "Completed", "Failed", "Canceled", "Terminated", "TimedOut", "ContinuedAsNew"):
            closed_status = kind[len("WorkflowExecution"):].lower()
    _from_timeline(nodes, timeline)
    path, path_ms = critical_path(timeline, upstream)
    wall = ms(first, last) if closed_status else None
    vals = list(nodes.values())
    return {
        "nodes": nodes,
        "critical_path": path,
        "critical_path_ms": path_ms,
        "totals": {
            "wall_ms": wall,
            "closed": closed_status,
            "started_at": utc_iso(first),
            "last_event_at": utc_iso(last),
            "history_events": len(history.events),
            "queue_wait_ms": _sum(vals, "queue_wait_ms"),
            "run_ms": _sum(vals, "run_ms"),
            "retry_ms": _sum(vals, "retry_ms"),
            "timer_wait_ms": _sum(vals, "timer_wait_ms"),
            "approval_wait_ms": _sum(vals, "approval_wait_ms"),
            "paused_ms": _sum(vals, "paused_ms"),
            "attempts": sum(v["attempts"] for v in vals),
            "retried_nodes": sorted(k for k, v in nodes.items() if v["attempts"] > 1),
        },
    }


def _local(nodes: dict, local) -> None:
    if local is None or not local.is_node:
        return
    fig = _fig(nodes, local.node_id, "local_activity")
    reported = local.reported
    started, finished = reported_time(reported, "started_at"), reported_time(reported, "finished_at")
    fig["attempts"] += local.attempt
    fig["scheduled_at"] = fig["scheduled_at"] or (utc_iso(started) if started else None)
    fig["started_at"] = utc_iso(started) if started else fig["started_at"]
    fig["closed_at"] = utc_iso(finished) if finished else None
    fig["queue_wait_ms"] = fig["queue_wait_ms"] or 0.0  # no task queue
    fig["run_ms"] = _add(fig["run_ms"], ms(started, finished))
    if local.failure is None:
        fig["outcome"] = "completed"
    elif local.cancelled:
        fig["outcome"] = "cancelled"
    else:
        fig["outcome"] = "failed"
        fig["error"] = failure_of(local.failure)


def _fig(nodes: dict, nid: str, how: str) -> dict[str, Any]:
    return nodes.setdefault(nid, {
        "node_id": nid, "kind": how, "attempts": 0, "scheduled_at": None, "started_at": None,
        "closed_at": None, "outcome": None, "queue_wait_ms": None, "run_ms": None, "retry_ms": 0.0,
        "timer_wait_ms": None, "approval_wait_ms": None, "paused_ms": None, "error": None,
        "wall_ms": None,
    })


def _add(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return round((total or 0.0) + value, 3)


def _sum(values: list[dict], key: str) -> float:
    return round(sum(v[key] or 0.0 for v in values), 3)


def _from_timeline(nodes: dict, timeline: list[dict]) -> None:
    """Waits the history shows only as workflow tasks: approvals and pauses;
    and each top-level node's wall time, enter -> exit."""
    opened: dict[tuple[str, str], str] = {}
    for b in timeline:
        if b["depth"]:
            continue
        nid = b["node_id"]
        if b["kind"] in ("waiting", "paused"):
            opened[(nid, b["kind"])] = b["at"]
            continue
        if b["kind"] == "enter":
            if (nid, "paused") in opened:
                fig = _fig(nodes, nid, nodes.get(nid, {}).get("kind", "interpreter"))
                fig["paused_ms"] = ms(datetime.fromisoformat(opened.pop((nid, "paused"))),
                                      datetime.fromisoformat(b["at"]))
            opened[(nid, "enter")] = b["at"]
        if b["kind"] == "exit":
            fig = _fig(nodes, nid, nodes.get(nid, {}).get("kind", "interpreter"))
            if (nid, "waiting") in opened:
                fig["kind"] = "approval"
                fig["approval_wait_ms"] = ms(datetime.fromisoformat(opened.pop((nid, "waiting"))),
                                             datetime.fromisoformat(b["at"]))
            if (nid, "enter") in opened:
                fig["wall_ms"] = ms(datetime.fromisoformat(opened.pop((nid, "enter"))),
                                    datetime.fromisoformat(b["at"]))
            fig["state"] = b["state"]


def critical_path(timeline: list[dict], upstream: dict[str, list[str]]) -> tuple[list[str], float | None]:
    """The chain that decided when the run ended: from the node that finished
    last, back through the upstream node that finished last, to a root."""
    start: dict[str, datetime] = {}
    end: dict[str, datetime] = {}
    for b in timeline:
        if b["depth"]:
            continue
        when = datetime.fromisoformat(b["at"])
        if b["kind"] in ("enter", "paused", "waiting"):
            start.setdefault(b["node_id"], when)
        elif b["kind"] == "exit" and b["state"] != "skipped":
            end[b["node_id"]] = when
            start.setdefault(b["node_id"], when)
    if not end:
        return [], None
    node = max(end, key=lambda n: (end[n], n))
    path = [node]
    while True:
        preds = [p for p in upstream.get(node, []) if p in end]
        if not preds:
            break
        node = max(preds, key=lambda n: (end[n], n))
        path.append(node)
    path.reverse()
    return path, ms(start[path[0]], end[path[-1]])
