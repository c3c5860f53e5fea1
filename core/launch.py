"""How every execution reaches Temporal: one workflow type, one id scheme, one
set of search attributes, memo and summary, one signed input.

API starts (and the reconciler), schedules, the CLI, benchmarks and tests all
build a `Launch` and hand it to `start` (or `schedule_action` for a Temporal
Schedule), so what the Temporal Web UI shows is the same for every run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from temporalio.client import Client, ScheduleActionStartWorkflow, WorkflowHandle
from temporalio.common import (
    SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.db.models import Execution
from core.temporal import SA_OWNER, SA_TEMPLATE, SA_VERSION, SA_WORKFLOW_ID, temporal_workflow_id
from workflows import signatures
from workflows.graph_workflow import WORKFLOW_NAME
from workflows.plan import DebugOptions, GraphInput, GraphResult, NodeSummary, Plan


@dataclass(frozen=True)
class Launch:
    """Everything one execution starts with (GraphInput) plus how Temporal names it."""

    execution_id: str
    plan: Plan
    inputs: dict[str, Any] = field(default_factory=dict)
    owner_id: str | None = None
    started_by: str | None = None
    record: bool = True
    gate: dict[str, Any] | None = None
    debug: DebugOptions | None = None
    reuse: dict[str, NodeSummary] = field(default_factory=dict)
    source_execution_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    schedule_id: str | None = None

    @classmethod
    def from_row(cls, row: Execution) -> Launch:
        """The launch an accepted row stands for: what the API starts at once,
        and what the reconciler starts after a crash, are the same."""
        options = row.options or {}
        return cls(
            execution_id=row.id, plan=Plan.model_validate(row.plan), inputs=row.inputs or {},
            owner_id=row.owner_id, started_by=row.started_by, gate=row.gate,
            debug=DebugOptions.model_validate(options["debug"]) if options.get("debug") else None,
            reuse={k: NodeSummary.model_validate(v) for k, v in (options.get("reuse") or {}).items()},
            source_execution_id=row.source_execution_id, template=row.template_id, schedule_id=row.schedule_id,
        )

    @property
    def workflow_id(self) -> str:
        return temporal_workflow_id(self.execution_id)

    def graph_input(self) -> GraphInput:
        """Signed: the interpreter refuses a launch the platform did not sign."""
        return signatures.signed(GraphInput(
            plan=self.plan, inputs=self.inputs, execution_id=self.execution_id, record=self.record,
            started_by=self.started_by, owner_id=self.owner_id, gate=self.gate, debug=self.debug,
            reuse=self.reuse, source_execution_id=self.source_execution_id, meta=self.meta,
        ), "launch")

    def search_attributes(self) -> TypedSearchAttributes:
        pairs = [SearchAttributePair(SA_WORKFLOW_ID, self.plan.workflow_id or f"adhoc:{self.plan.name}")]
        if self.plan.version is not None:
            pairs.append(SearchAttributePair(SA_VERSION, self.plan.version))
        if self.owner_id:
            pairs.append(SearchAttributePair(SA_OWNER, self.owner_id))
        if self.template:
            pairs.append(SearchAttributePair(SA_TEMPLATE, self.template))
        return TypedSearchAttributes(pairs)

    def memo(self) -> dict[str, Any]:
        found = {"execution_id": self.execution_id, "schedule_id": self.schedule_id, "template": self.template}
        return {"name": self.plan.name, **{k: v for k, v in found.items() if v}}

    def summary(self) -> str:
        """The run's title in the Temporal Web UI's list and on its page."""
        text = self.plan.name + (f" v{self.plan.version}" if self.plan.version else "")
        return text + (f" (schedule {self.schedule_id})" if self.schedule_id else "")


async def start(client: Client, launch: Launch, task_queue: str) -> WorkflowHandle[Any, GraphResult]:
    """Starts the execution, or finds the one already started for it: safe to
    call any number of times (a retried start joins the running execution; a
    finished one is never run again)."""
    try:
        return await client.start_workflow(
            WORKFLOW_NAME, launch.graph_input(), id=launch.workflow_id, task_queue=task_queue,
            result_type=GraphResult, search_attributes=launch.search_attributes(), memo=launch.memo(),
            static_summary=launch.summary(),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:  # it ran and finished: the same execution, not a new one
        desc = await client.get_workflow_handle(launch.workflow_id).describe()
        return client.get_workflow_handle(launch.workflow_id, run_id=desc.run_id, result_type=GraphResult)


def run_id(handle: WorkflowHandle) -> str:
    return handle.result_run_id or handle.first_execution_run_id or handle.run_id or ""


def schedule_action(launch: Launch, task_queue: str) -> ScheduleActionStartWorkflow:
    """A Temporal Schedule's action: every run gets its own workflow id from
    Temporal (this id plus the scheduled time) and derives its execution id
    from it (GraphInput.execution_id is empty)."""
    scheduled = replace(launch, execution_id="")
    return ScheduleActionStartWorkflow(
        WORKFLOW_NAME, scheduled.graph_input(), id=launch.workflow_id, task_queue=task_queue,
        memo=scheduled.memo(), typed_search_attributes=scheduled.search_attributes(),
        static_summary=scheduled.summary(),
    )


def new_execution_id() -> str:
    return uuid.uuid4().hex


async def start_graph(client: Client, plan: Plan, inputs: dict[str, Any], *, task_queue: str,
                      execution_id: str | None = None, owner: str | None = None,
                      template: str | None = None, record: bool = False) -> WorkflowHandle[Any, GraphResult]:
    """A run outside the API (the CLI, benchmarks, tests): no row first."""
    launch = Launch(execution_id=execution_id or new_execution_id(), plan=plan, inputs=inputs,
                    owner_id=owner, record=record, template=template)
    return await start(client, launch, task_queue)
