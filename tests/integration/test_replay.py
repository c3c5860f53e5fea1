"""Every recorded history must replay on the current interpreter: a change that
would break running executions fails here (guard such changes with
`workflow.patched` and record new histories with tests/histories/record.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import Settings
from core.temporal import data_converter
from workflows.graph_workflow import GraphWorkflow
from workflows.runner import workflow_runner

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_there_are_histories_to_replay():
    names = {path.stem.split("-")[0] for path in HISTORIES}
    assert {"fan_out_fan_in", "branch_with_skips", "failure_after_retries", "for_each_batches"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    text = path.read_text()
    history = WorkflowHistory.from_json(_recorded_id(text) or path.stem, text)
    replayer = Replayer(workflows=[GraphWorkflow], data_converter=data_converter(Settings()),
                        workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)


def _recorded_id(text: str) -> str | None:
    """The workflow id a history ran under, where its commands name it: child
    workflows are `<workflow id>.<node id>...` (sub_workflow, for_each batches),
    and replay compares those ids. Recorded ids hold no dot."""
    for event in json.loads(text)["events"]:
        started = event.get("startChildWorkflowExecutionInitiatedEventAttributes")
        if started:
            return started["workflowId"].split(".", 1)[0]
    return None
