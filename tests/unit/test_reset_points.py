"""Reset points (api/routes/reset.py) without display text: the workflow's
`node_starts` answer, as a replay of a recorded history gives it (what a
closed run's query does), with every summary renamed, names the workflow task
that scheduled each node (or, for a pure node, ran it as a local activity)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Interceptor, Replayer, WorkflowInboundInterceptor

from api.debugger.history import local_activity
from api.routes.reset import reset_point
from worker.app import workflow_runner
from core.settings import Settings
from core.temporal import data_converter
from workflows.graph_workflow import GraphWorkflow

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))
RENAMED = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "InJlbmFtZWQi"}  # json/plain "renamed"


class _Capture(Interceptor):
    """Keeps the replayed workflow's `node_starts` answer once its run ends."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, int]] = {}

    def workflow_interceptor_class(self, input):
        answers = self.answers

        class Inbound(WorkflowInboundInterceptor):
            async def execute_workflow(self, input):
                try:
                    return await super().execute_workflow(input)
                finally:
                    answers[workflow.info().workflow_id] = workflow.instance().node_starts()

        return Inbound


def renamed(history: dict) -> dict:
    for event in history["events"]:
        if "summary" in event.get("userMetadata", {}):
            event["userMetadata"]["summary"] = RENAMED
    return history


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_node_starts_name_the_task_that_scheduled_each_node(path: Path):
    raw = renamed(json.loads(path.read_text()))
    assert any(e.get("userMetadata", {}).get("summary") == RENAMED for e in raw["events"])
    history = WorkflowHistory.from_json(_recorded_id(raw) or path.stem, json.dumps(raw))
    capture = _Capture()
    replayer = Replayer(workflows=[GraphWorkflow], data_converter=data_converter(Settings()),
                        workflow_runner=workflow_runner(), interceptors=[capture])
    await replayer.replay_workflow(history)
    starts = capture.answers[history.workflow_id]
    scheduled = {}
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name.startswith("node."):
                scheduled.setdefault(attrs.activity_id, attrs.workflow_task_completed_event_id)
        local = local_activity(event)  # a pure node: its marker, in the task that ran it
        if local is not None and local.is_node:
            scheduled.setdefault(local.node_id, event.marker_recorded_event_attributes.workflow_task_completed_event_id)
        if event.HasField("start_child_workflow_execution_initiated_event_attributes"):  # for_each batches
            attrs = event.start_child_workflow_execution_initiated_event_attributes
            node_id = attrs.workflow_id.split(".")[1]
            scheduled.setdefault(node_id, attrs.workflow_task_completed_event_id)
    assert starts and set(starts) == set(scheduled)
    assert {nid: reset_point(history.events, task) for nid, task in starts.items()} == scheduled


def test_no_point_past_the_history():
    history = WorkflowHistory.from_json("h", HISTORIES[0].read_text())
    last = history.events[-1].event_id
    assert reset_point(history.events, last) is None


def _recorded_id(history: dict) -> str | None:
    """The workflow id the history ran under, from its child workflows' ids
    (`<workflow id>.<node id>...`), which replay compares."""
    for event in history["events"]:
        started = event.get("startChildWorkflowExecutionInitiatedEventAttributes")
        if started:
            return started["workflowId"].split(".", 1)[0]
    return None
