"""Starting a compiled plan as a Temporal execution: ids, search attributes, memo."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from core.temporal import SA_OWNER, SA_TEMPLATE, SA_VERSION, SA_WORKFLOW_ID, temporal_workflow_id
from workflows.graph_workflow import WORKFLOW_NAME
from workflows import signatures
from workflows.plan import GraphInput, GraphResult, Plan


def new_execution_id() -> str:
    return uuid.uuid4().hex


def search_attributes(plan: Plan, owner: str | None, template: str | None) -> TypedSearchAttributes:
    pairs = [SearchAttributePair(SA_WORKFLOW_ID, plan.workflow_id or f"adhoc:{plan.name}")]
    if plan.version is not None:
        pairs.append(SearchAttributePair(SA_VERSION, plan.version))
    if owner:
        pairs.append(SearchAttributePair(SA_OWNER, owner))
    if template:
        pairs.append(SearchAttributePair(SA_TEMPLATE, template))
    return TypedSearchAttributes(pairs)


async def start_graph(
    client: Client, plan: Plan, inputs: dict[str, Any], *, task_queue: str,
    execution_id: str | None = None, owner: str | None = None, template: str | None = None,
    record: bool = False, memo: dict[str, Any] | None = None,
) -> WorkflowHandle[Any, GraphResult]:
    """Idempotent for a given execution id: a second start attaches to the first."""
    execution_id = execution_id or new_execution_id()
    return await client.start_workflow(
        WORKFLOW_NAME,
        signatures.signed(GraphInput(plan=plan, inputs=inputs, execution_id=execution_id, record=record), "launch"),
        id=temporal_workflow_id(execution_id),
        task_queue=task_queue,
        result_type=GraphResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=search_attributes(plan, owner, template),
        memo={"name": plan.name, **(memo or {})},
        static_summary=f"{plan.name}" + (f" v{plan.version}" if plan.version else ""),
    )
