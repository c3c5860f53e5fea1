"""Temporal history events -> the platform's live events, in history order.

node_started (activity scheduled, timer started, child initiated),
node_started and then node_finished / node_failed / node_cancelled at once for
a pure node's local-activity marker (written when its workflow task completed;
its duration is the one the activity reported),
node_finished with its duration, node_failed with its error, node_cancelled,
waiting_for_approval / approval_<event> (the approvals mirror activity),
resumed (a `debug` update), execution_finished with the final status. Pauses
at live breakpoints leave no history event; the WebSocket asks the workflow's
`progress` query for them once it has caught up with the history.
"""

from __future__ import annotations

from typing import Any

from api.debugger.history import (
    at, decode, failure_of, local_activity, ms, name, node_of_activity, reported_time, summary,
)
from api.schemas.common import utc_iso

FINAL = {"WorkflowExecutionCompleted": "succeeded", "WorkflowExecutionFailed": "failed",
         "WorkflowExecutionCanceled": "cancelled", "WorkflowExecutionTerminated": "terminated",
         "WorkflowExecutionTimedOut": "timed_out", "WorkflowExecutionContinuedAsNew": "continued_as_new"}


class EventStream:
    def __init__(self) -> None:
        self.seq = 0
        self.final: str | None = None
        self._activities: dict[int, dict[str, Any]] = {}
        self._timers: dict[str, dict[str, Any]] = {}
        self._children: dict[int, dict[str, Any]] = {}
        self._updates: dict[str, str] = {}

    def feed(self, event) -> list[dict[str, Any]]:
        out = self._translate(event, name(event), at(event))
        for item in out:
            self.seq += 1
            item.update(seq=self.seq, event_id=event.event_id, at=utc_iso(at(event)))
        return out

    def _translate(self, event, kind: str, when) -> list[dict[str, Any]]:
        field = event.WhichOneof("attributes")
        a = getattr(event, field) if field else None
        if kind == "WorkflowExecutionStarted":
            graph = decode(a.input) or {}
            return [{"type": "execution_started",
                     "inputs": graph.get("inputs") if isinstance(graph, dict) else None}]
        if kind == "MarkerRecorded":
            return _local_node(local_activity(event))
        if kind == "ActivityTaskScheduled":
            activity = a.activity_type.name
            label = summary(event) or ""
            info = {"node_id": node_of_activity(a.activity_id), "scheduled": when, "started": None,
                    "activity": activity, "label": label}
            self._activities[event.event_id] = info
            if activity.startswith("node."):
                return [{"type": "node_started", "node_id": info["node_id"], "node_type": activity[5:]}]
            if activity == "approval_changed" and label.startswith("approval "):
                what, _, node = label[len("approval "):].partition(": ")
                kind_ = "waiting_for_approval" if what == "requested" else f"approval_{what}"
                return [{"type": kind_, "node_id": node}]
            return []
        if kind == "ActivityTaskStarted" and a.scheduled_event_id in self._activities:
            self._activities[a.scheduled_event_id]["started"] = when
            self._activities[a.scheduled_event_id]["attempt"] = a.attempt
            return []
        if kind.startswith("ActivityTask") and a is not None and hasattr(a, "scheduled_event_id") \
                and a.scheduled_event_id in self._activities and kind != "ActivityTaskCancelRequested":
            info = self._activities[a.scheduled_event_id]
            if not info["activity"].startswith("node."):
                return []
            base = {"node_id": info["node_id"], "duration_ms": ms(info["scheduled"], when),
                    "run_ms": ms(info["started"], when), "attempts": info.get("attempt", 1)}
            if kind == "ActivityTaskCompleted":
                result = decode(a.result)
                output = result.get("output") if isinstance(result, dict) else result
                return [{"type": "node_finished", **base, "output": output}]
            if kind in ("ActivityTaskFailed", "ActivityTaskTimedOut"):
                return [{"type": "node_failed", **base, "error": failure_of(a.failure)}]
            if kind == "ActivityTaskCanceled":
                return [{"type": "node_cancelled", **base}]
            return []
        if kind == "TimerStarted":
            node = (summary(event) or "").rsplit(" (", 1)[0]
            self._timers[a.timer_id] = {"node_id": node, "started": when}
            return [{"type": "node_started", "node_id": node, "node_type": "delay"}] if node else []
        if kind in ("TimerFired", "TimerCanceled") and a.timer_id in self._timers:
            info = self._timers[a.timer_id]
            if not info["node_id"]:
                return []
            typ = "node_finished" if kind == "TimerFired" else "node_cancelled"
            return [{"type": typ, "node_id": info["node_id"], "duration_ms": ms(info["started"], when)}]
        if kind == "StartChildWorkflowExecutionInitiated":
            node = a.workflow_id.rsplit(".", 1)[-1]
            self._children[event.event_id] = {"node_id": node, "started": when}
            return [{"type": "node_started", "node_id": node, "node_type": "sub_workflow",
                     "child_workflow_id": a.workflow_id}]
        if kind.startswith("ChildWorkflowExecution") and kind != "ChildWorkflowExecutionStarted" \
                and a.initiated_event_id in self._children:
            info = self._children[a.initiated_event_id]
            base = {"node_id": info["node_id"], "duration_ms": ms(info["started"], when)}
            if kind == "ChildWorkflowExecutionCompleted":
                return [{"type": "node_finished", **base}]
            if kind == "ChildWorkflowExecutionFailed":
                return [{"type": "node_failed", **base, "error": failure_of(a.failure)}]
            return [{"type": "node_cancelled", **base}]
        if kind == "WorkflowExecutionUpdateAccepted":
            request = a.accepted_request
            if request.input.name == "debug":
                command = decode(request.input.args) or {}
                mode = command.get("mode") if isinstance(command, dict) else getattr(command, "mode", None)
                return [{"type": "resumed", "mode": mode}]
            return []
        if kind in FINAL:
            self.final = FINAL[kind]
            item: dict[str, Any] = {"type": "execution_finished", "status": self.final}
            if kind == "WorkflowExecutionFailed":
                item["error"] = failure_of(a.failure)
            return [item]
        return []


def _local_node(local) -> list[dict[str, Any]]:
    """A pure node's whole run, from its marker."""
    if local is None or not local.is_node:
        return []
    reported = local.reported
    base = {"node_id": local.node_id, "attempts": local.attempt,
            "run_ms": ms(reported_time(reported, "started_at"), reported_time(reported, "finished_at"))}
    base["duration_ms"] = base["run_ms"]
    started = {"type": "node_started", "node_id": local.node_id, "node_type": local.activity_type[5:],
               "local": True}
    if local.failure is None:
        output = reported.get("output") if isinstance(reported, dict) else reported
        return [started, {"type": "node_finished", **base, "output": output}]
    if local.cancelled:
        return [started, {"type": "node_cancelled", **base}]
    return [started, {"type": "node_failed", **base, "error": failure_of(local.failure)}]
