"""The CLI without the API: validate a graph file, or run it straight through
Temporal (operator runs: environment secrets only, no execution row)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError, TerminatedError, TimeoutError as TemporalTimeout
from temporalio.service import RPCError

from cli.inputs import UsageError, load_document, run_inputs
from cli.progress import NodePrinter
from core.launch import start_graph
from core.settings import get_settings
from core.temporal import connect, execution_id_of, ui_link
from workflows import signatures
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.plan import GraphResult
from workflows.registry import REGISTRY
from workflows.results import ExecutionResult
from workflows.validation import DefinitionInvalid, validate_definition, validate_run_inputs

POLL_S = 0.2


def _print_issues(issues) -> None:
    for issue in issues:
        print(f"{issue.path}: [{issue.code}] {issue.message}", file=sys.stderr)


def cmd_validate(args) -> int:
    _, issues = validate_definition(load_document(args.file), REGISTRY)
    if issues:
        _print_issues(issues)
        print(f"{len(issues)} problem(s)", file=sys.stderr)
        return 1
    print("valid")
    return 0


async def cmd_run(args) -> int:
    """Runs the file, printing each node as it starts and finishes, then the
    result in the API's /result shape. Exit 0 when it succeeded, 1 otherwise."""
    inputs = run_inputs(args.input, args.input_file)
    settings = get_settings()
    signatures.configure_from(settings)  # the worker runs only signed launches
    settings.payload_keyring()  # a missing or bad payload key says so, not "cannot reach Temporal"
    try:
        plan = compile_definition(load_document(args.target), REGISTRY,
                                  output_cap_bytes=settings.node_output_cap_bytes)
    except DefinitionInvalid as err:
        _print_issues(err.issues)
        return 1
    issues = validate_run_inputs(plan.inputs_schema, inputs)
    if issues:
        _print_issues(issues)
        return 1
    try:
        client = await connect(settings)
    except RuntimeError as err:
        raise UsageError(f"cannot reach Temporal at {settings.temporal_address}: {err} (is `make run` up?)") \
            from None
    handle = await start_graph(client, plan, inputs, task_queue=settings.temporal_task_queue)
    execution_id = execution_id_of(handle.id)
    link = ui_link(settings, handle.id, handle.result_run_id)
    print(f"started {execution_id}  {link}", file=sys.stderr, flush=True)
    try:
        result = await _follow(handle, execution_id)
    except asyncio.CancelledError:  # Ctrl-C: stop watching, never cancel the run
        print(f"stopped following {execution_id}: it keeps running ({link})", file=sys.stderr, flush=True)
        raise
    print(json.dumps(result.model_dump(mode="json")), flush=True)
    return 0 if result.status == "succeeded" else 1


async def _follow(handle: WorkflowHandle, execution_id: str) -> ExecutionResult:
    printer = NodePrinter()
    last: dict[str, Any] = {}
    watcher = asyncio.create_task(_watch(handle, printer, last))
    try:
        graph = await handle.result()
    except WorkflowFailureError as err:
        summary = summary_of(err.cause)
        if summary is None:  # cancelled, terminated or timed out: no summary attached
            return ExecutionResult.of(execution_id, _status_of(err.cause),
                                      {"code": type(err.cause).__name__, "message": str(err.cause)},
                                      last.get("nodes", {}))
        graph = GraphResult.model_validate(summary)
    finally:
        watcher.cancel()
    printer.update(graph.nodes)
    return ExecutionResult.of(execution_id, graph.status, graph.error, graph.nodes)


async def _watch(handle: WorkflowHandle, printer: NodePrinter, last: dict[str, Any]) -> None:
    """Prints node transitions from the `progress` query until cancelled."""
    while True:
        try:
            progress = await handle.query("progress", result_type=GraphResult)
            last["nodes"] = progress.nodes
            printer.update(progress.nodes)
        except RPCError:
            pass  # not yet picked up by a worker
        await asyncio.sleep(POLL_S)


def _status_of(cause: BaseException | None) -> str:
    if isinstance(cause, CancelledError):
        return "cancelled"
    if isinstance(cause, TerminatedError):
        return "terminated"
    if isinstance(cause, TemporalTimeout):
        return "timed_out"
    return "failed"
