"""`agentic run FILE.json --input '{...}'` and `agentic validate FILE.json`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.service import RPCError

from core.launch import start_graph
from core.settings import get_settings
from core.temporal import connect, ui_link
from workflows import signatures
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.plan import TERMINAL_STATES, GraphResult
from workflows.registry import REGISTRY
from workflows.validation import DefinitionInvalid, validate_definition, validate_run_inputs

POLL_S = 0.2


def _load(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except OSError as err:
        sys.exit(f"cannot read {path}: {err.strerror}")
    except json.JSONDecodeError as err:
        sys.exit(f"{path} is not JSON: {err}")


def _print_issues(issues) -> None:
    for issue in issues:
        print(f"{issue.path}: [{issue.code}] {issue.message}", file=sys.stderr)


def cmd_validate(args) -> int:
    _, issues = validate_definition(_load(args.file), REGISTRY)
    if issues:
        _print_issues(issues)
        print(f"{len(issues)} problem(s)", file=sys.stderr)
        return 1
    print("valid")
    return 0


async def cmd_run(args) -> int:
    try:
        inputs = json.loads(args.input)
    except json.JSONDecodeError as err:
        sys.exit(f"--input is not JSON: {err}")
    settings = get_settings()
    signatures.configure_from(settings)  # the worker runs only signed launches
    try:
        plan = compile_definition(_load(args.file), REGISTRY, output_cap_bytes=settings.node_output_cap_bytes)
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
        sys.exit(f"cannot reach Temporal at {settings.temporal_address}: {err} (is `make run` up?)")
    handle = await start_graph(client, plan, inputs, task_queue=settings.temporal_task_queue)
    print(f"started {handle.id}  {ui_link(settings, handle.id, handle.result_run_id)}", file=sys.stderr)
    seen: dict[str, str] = {}
    watcher = asyncio.create_task(_watch(handle, seen))
    failure = ""
    try:
        result = await handle.result()
        code = 0
    except WorkflowFailureError as err:
        summary = summary_of(err.cause)
        result = GraphResult.model_validate(summary) if summary else None
        failure = str(err.cause)  # e.g. a timeout or a termination: no summary attached
        code = 1
    finally:
        watcher.cancel()
    if result is not None:
        _print_changes(seen, result)
        print(json.dumps(result.model_dump(mode="json")))
    else:
        print(json.dumps({"status": "failed", "error": failure}))
    return code


async def _watch(handle: WorkflowHandle, seen: dict[str, str]) -> None:
    """Prints node transitions from the `progress` query until cancelled."""
    while True:
        try:
            _print_changes(seen, await handle.query("progress", result_type=GraphResult))
        except RPCError:
            pass  # not yet picked up by a worker
        await asyncio.sleep(POLL_S)


def _print_changes(seen: dict[str, str], progress: GraphResult) -> None:
    for node_id, node in progress.nodes.items():
        if seen.get(node_id) == node.state:
            continue
        if node.state in ("running", "waiting", "paused") and node_id not in seen:
            print(f"  {node_id}: {node.state}", file=sys.stderr)
        elif node.state in TERMINAL_STATES:
            took = f" in {node.duration_ms:.0f} ms" if node.duration_ms is not None else ""
            error = f": {node.error['message']}" if node.error else ""
            print(f"  {node_id}: {node.state}{took}{error}", file=sys.stderr)
        seen[node_id] = node.state


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="agentic", description="Run and check workflow graphs.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a graph through Temporal and print its result")
    run.add_argument("file")
    run.add_argument("--input", default="{}", help="run inputs as a JSON object")
    validate = sub.add_parser("validate", help="print every problem of a graph")
    validate.add_argument("file")
    sub.add_parser("dev", help="start the dev stack (same as make run)")
    sub.add_parser("rewrap-secrets", help="after a master-key rotation: re-wrap every secret with the new key")
    args = parser.parse_args(argv)
    if args.command == "rewrap-secrets":
        from cli.rewrap import cmd_rewrap

        sys.exit(asyncio.run(cmd_rewrap()))
    if args.command == "validate":
        sys.exit(cmd_validate(args))
    if args.command == "dev":
        from cli.devstack import main as dev_main

        sys.exit(dev_main())
    code = asyncio.run(cmd_run(args))
    # The Temporal SDK's native runtime can abort while the interpreter
    # finalizes ("PyGILState_Release"); the work is done, so leave directly.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
