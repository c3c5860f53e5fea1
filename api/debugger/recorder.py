"""Replays one workflow history with the SDK's Replayer and records, at every
node boundary, what the interpreter saw.

Nothing here runs an activity: the Replayer feeds the recorded results from
history back into the workflow code. A workflow interceptor observes it:
- outbound `start_activity` / `start_local_activity` (pure nodes) /
  `start_child_workflow` capture each node's
  input (the NodeCall, or the child's GraphInput; the rendered config an
  activity reports is read from the history, api/debugger/history.py);
- a watcher inside the workflow re-reads the interpreter's own `progress`
  after every step of its event loop (a `wait_condition` predicate is called
  after each one) and records every node state change with `workflow.now()`,
  which during replay is the time of the history's workflow task.
The predicate only reads and records outside the workflow; it never becomes
true and issues no command, so the replayed command sequence is unchanged
(the Replayer would fail the replay otherwise).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    ExecuteWorkflowInput, Interceptor, Replayer, StartActivityInput, StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor, WorkflowInterceptorClassInput, WorkflowOutboundInterceptor,
)

from workflows.graph_workflow import GraphWorkflow
from workflows.plan import TERMINAL_STATES
from workflows.runner import workflow_runner


@dataclass
class Recording:
    """What one replayed run showed: its input, every node state change in
    order, each node's resolved input, and its children."""

    workflow_id: str
    run_id: str
    graph_input: dict[str, Any] | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id -> {workflow_id, input}
    rendered: dict[str, Any] = field(default_factory=dict)  # node id -> its rendered config (history.py)
    status: str = "running"
    error: dict[str, Any] | None = None
    paused_at: list[str] = field(default_factory=list)
    replayed_events: int = 0
    _seen: dict[str, tuple] = field(default_factory=dict)

    def observe(self) -> None:
        """Called inside the workflow: records the nodes whose state moved."""
        summary = workflow.instance().progress()
        now = workflow.now().isoformat()
        for node_id, node in summary.nodes.items():
            key = (node.state, node.attempts, node.finished_at)
            if self._seen.get(node_id) == key:
                continue
            self._seen[node_id] = key
            if node.state == "pending":
                continue
            self.changes.append({"node_id": node_id, "at": now,
                                 **node.model_dump(mode="json")})
        self.status, self.error, self.paused_at = summary.status, summary.error, list(summary.paused_at)


def evicted(watcher: asyncio.Task) -> bool:
    """Whether the SDK is evicting the workflow: at the end of a partial
    history (a running execution) the Replayer evicts it, which cancels every
    task of the workflow; what the interpreter does while it unwinds never
    happened. Only an eviction cancels the watcher before the interpreter
    returns: a cancel request in history cancels only the workflow's main
    task, and the interpreter never sees the watcher. Read with public API
    (`Task.cancelling()`, not the SDK's private runtime); once the watcher is
    cancelled its predicate is never called again, so only the final
    observation needs the check."""
    return watcher.cancelling() > 0


def _recording_interceptor(rec: Recording) -> Interceptor:
    def _keep_call(input: StartActivityInput | StartLocalActivityInput) -> None:
        if input.activity.startswith("node.") and input.args:
            call = input.args[0]
            rec.calls.setdefault(call.node_id, call.model_dump(mode="json"))

    class Outbound(WorkflowOutboundInterceptor):
        def start_activity(self, input: StartActivityInput):
            _keep_call(input)
            return super().start_activity(input)

        def start_local_activity(self, input: StartLocalActivityInput):
            _keep_call(input)
            return super().start_local_activity(input)

        async def start_child_workflow(self, input: StartChildWorkflowInput):
            node_id = input.id.rsplit(".", 1)[-1]
            child_input = input.args[0] if input.args else None
            rec.children[node_id] = {
                "workflow_id": input.id,
                "input": child_input.model_dump(mode="json") if hasattr(child_input, "model_dump") else None,
            }
            return await super().start_child_workflow(input)

    class Inbound(WorkflowInboundInterceptor):
        def init(self, outbound: WorkflowOutboundInterceptor) -> None:
            super().init(Outbound(outbound))

        async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
            if input.args and hasattr(input.args[0], "model_dump"):
                rec.graph_input = input.args[0].model_dump(mode="json")

            def predicate() -> bool:
                rec.observe()
                return False

            watcher = asyncio.create_task(workflow.wait_condition(predicate))
            try:
                return await super().execute_workflow(input)
            finally:
                if not evicted(watcher):
                    rec.observe()
                watcher.cancel()

    class RecordingInterceptor(Interceptor):
        def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput):
            return Inbound

    return RecordingInterceptor()


async def replay(history: WorkflowHistory, run_id: str, *, data_converter: DataConverter) -> Recording:
    """Replays `history`; raises if it no longer replays on this interpreter.
    `data_converter`: the client's (core/temporal.py `data_converter`), whose
    codec decrypts the history's payloads (plaintext ones pass through)."""
    rec = Recording(workflow_id=history.workflow_id, run_id=run_id)
    # The interpreter's own sandbox settings; this package is passed through
    # so the recording outlives the sandbox.
    replayer = Replayer(workflows=[GraphWorkflow], data_converter=data_converter,
                        workflow_runner=workflow_runner("api.debugger"),
                        interceptors=[_recording_interceptor(rec)])
    await replayer.replay_workflow(history)
    rec.replayed_events = len(history.events)
    return rec


def settled(change: dict[str, Any]) -> bool:
    return change["state"] in TERMINAL_STATES
