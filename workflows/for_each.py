"""How a for_each node runs (workflows/nodes/for_each.py): the interpreter
renders the list, checks the item limit and hands the items, one batch after
another, to ForEachBatchWorkflow children. A child runs its batch's items as
activities of the per-item node type, at most `concurrency` at once, and
returns their results in input order; so no single history holds more than
one batch of items, whatever the list's length.

Deterministic code only: it runs inside workflows.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import signatures
    from workflows.expressions import analyze, is_template, iter_strings
    from workflows.nodes.for_each import ForEachConfig
    from workflows.plan import NodeCall, NodeOutcome, NodePlan
    from workflows.registry import REGISTRY

BATCH_WORKFLOW = "ForEachBatch"
BATCH_SIGNATURE = "for_each_batch"
HEARTBEAT_TIMEOUT_S = 10.0


class ForEachFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class ItemResult(BaseModel):
    index: int
    ok: bool
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 0


class ForEachBatch(BaseModel):
    execution_id: str
    node_id: str
    item_type: str
    item_config: dict[str, Any]
    max_attempts: int
    initial_interval_s: float = 1.0
    backoff: float = 2.0
    max_interval_s: float = 60.0
    timeout_s: float
    items: list[Any]
    offset: int
    context: dict[str, Any] = Field(default_factory=dict)
    owner_id: str | None = None
    concurrency: int
    fail_fast: bool
    signature: str | None = None


class BatchResult(BaseModel):
    results: list[ItemResult | None]  # None: not run (a fail_fast batch stopped first)


def item_reads(config: dict[str, Any]) -> list[str]:
    """The upstream nodes the per-item config reads: only those go with each
    item (not the list the items came from, which would make every item's
    input as large as the whole list)."""
    refs: set[str] = set()
    for _, text in iter_strings((config.get("node") or {}).get("config") or {}, "$"):
        if is_template(text):
            refs |= analyze(text).node_refs
    return sorted(refs)


async def run(node: NodePlan, items: Any, context: dict[str, Any], execution_id: str,
              owner_id: str | None) -> NodeOutcome:
    config = ForEachConfig.model_validate(node.config)
    if not isinstance(items, list):
        raise ForEachFailed("invalid_items", f"items must give a list, not {type(items).__name__}")
    if len(items) > config.max_items:
        raise ForEachFailed("too_many_items", f"{len(items)} items, over max_items={config.max_items}")
    item_type = REGISTRY.get(config.node.type)
    if item_type is None or item_type.kind != "activity" or item_type.privileged:
        raise ForEachFailed("invalid_config", f"for_each cannot run node type {config.node.type!r}")
    retry = config.node.retry
    results: list[ItemResult | None] = []
    for number, offset in enumerate(range(0, len(items), config.batch_size)):
        batch = ForEachBatch(
            execution_id=execution_id, node_id=node.id, item_type=item_type.name, item_config=config.node.config,
            max_attempts=retry.max_attempts if retry else item_type.default_max_attempts,
            initial_interval_s=retry.initial_interval_s if retry else 1.0, backoff=retry.backoff if retry else 2.0,
            max_interval_s=retry.max_interval_s if retry else 60.0,
            timeout_s=config.node.timeout_s or item_type.default_timeout_s,
            items=items[offset:offset + config.batch_size], offset=offset, context=context, owner_id=owner_id,
            concurrency=config.concurrency, fail_fast=config.on_item_error == "fail_fast")
        done = await _run_batch(batch, f"{workflow.info().workflow_id}.{node.id}.batch-{number}", node.timeout_s)
        results += done.results
        failed = next((r for r in done.results if r is not None and not r.ok), None)
        if failed is not None and batch.fail_fast:
            error = failed.error or {}
            raise ForEachFailed("item_failed", f"item {failed.index} failed: {error.get('code')}: "
                                               f"{error.get('message')}")
    return NodeOutcome(output=_output(results))


async def _run_batch(batch: ForEachBatch, child_id: str, timeout_s: float) -> BatchResult:
    try:
        return await workflow.execute_child_workflow(
            BATCH_WORKFLOW, _signed(batch, child_id), id=child_id,
            result_type=BatchResult, execution_timeout=timedelta(seconds=timeout_s))
    except ChildWorkflowError as err:
        if is_cancelled_exception(err):
            raise asyncio.CancelledError() from None
        raise ForEachFailed("batch_failed", f"the batch from item {batch.offset} failed: {_message(err)}") from None


def _signed(batch: ForEachBatch, child_id: str) -> ForEachBatch:
    """Signed with the worker's key, bound to the child's id. A replay sends no
    command (the input is not compared) and may run where no key is set."""
    if workflow.unsafe.is_replaying_history_events():
        return batch
    return signatures.signed(batch, BATCH_SIGNATURE, workflow_id=child_id)


def _output(results: list[ItemResult | None]) -> dict[str, Any]:
    ran = [r for r in results if r is not None]
    return {"results": [r.output if r.ok else None for r in ran],
            "errors": [{"index": r.index, **(r.error or {})} for r in ran if not r.ok],
            "count": len(ran), "succeeded": sum(r.ok for r in ran), "failed": sum(not r.ok for r in ran)}


@workflow.defn(name=BATCH_WORKFLOW)
class ForEachBatchWorkflow:
    """One batch of a for_each: started (and signed) only by GraphWorkflow."""

    @workflow.run
    async def run(self, batch: ForEachBatch) -> BatchResult:
        if not workflow.unsafe.is_replaying_history_events() and not signatures.is_signed(
                batch, BATCH_SIGNATURE, workflow_id=workflow.info().workflow_id):
            raise ApplicationError("refused: this batch was not started by a for_each node", type="unsigned_launch",
                                   non_retryable=True)
        results: list[ItemResult | None] = [None] * len(batch.items)
        running: dict[int, asyncio.Task] = {}
        position, stop = 0, False
        while (position < len(batch.items) and not stop) or running:
            while position < len(batch.items) and len(running) < batch.concurrency and not stop:
                running[position] = asyncio.create_task(self._item(batch, position))
                position += 1
            done, _ = await workflow.wait(list(running.values()), return_when=asyncio.FIRST_COMPLETED)
            for slot in sorted(running):
                if running[slot] in done:
                    results[slot] = running.pop(slot).result()
                    stop = stop or (batch.fail_fast and not results[slot].ok)
            if stop and running:
                for task in running.values():
                    task.cancel()
                await workflow.wait(list(running.values()))
                running.clear()
        return BatchResult(results=results)

    async def _item(self, batch: ForEachBatch, slot: int) -> ItemResult:
        index = batch.offset + slot
        call = NodeCall(execution_id=batch.execution_id, node_id=f"{batch.node_id}[{index}]", node_type=batch.item_type,
                        config=batch.item_config, context={**batch.context, "item": batch.items[slot], "index": index},
                        owner_id=batch.owner_id)
        try:
            outcome = await workflow.execute_activity(
                REGISTRY[batch.item_type].activity_name, call, result_type=NodeOutcome, activity_id=str(index),
                start_to_close_timeout=timedelta(seconds=batch.timeout_s),
                heartbeat_timeout=timedelta(seconds=min(batch.timeout_s, HEARTBEAT_TIMEOUT_S)),
                retry_policy=RetryPolicy(maximum_attempts=batch.max_attempts,
                                         initial_interval=timedelta(seconds=batch.initial_interval_s),
                                         backoff_coefficient=batch.backoff,
                                         maximum_interval=timedelta(seconds=batch.max_interval_s)),
                summary=f"{batch.node_id}[{index}]")
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError):
                details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
                return ItemResult(index=index, ok=False, attempts=details.get("attempt") or 1,
                                  error={"code": cause.type or "activity_error", "message": cause.message})
            return ItemResult(index=index, ok=False, error={"code": "timeout", "message": _message(err)})
        return ItemResult(index=index, ok=True, output=outcome.output, attempts=outcome.attempt)


def _message(err: BaseException) -> str:
    while getattr(err, "cause", None) is not None:
        err = err.cause
    return getattr(err, "message", None) or str(err)
