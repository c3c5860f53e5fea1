"""Records the histories that every CI run replays (tests/integration/test_replay.py).

Run after a deliberate, `workflow.patched`-guarded interpreter change, to add
histories of the new code next to the old ones (never replace the old ones):
    .venv/bin/python -m tests.histories.record [graph names]
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from temporalio.client import WorkflowFailureError

from cli.devserver import free_port, start_temporal
from core.launch import start_graph
from core.settings import Settings
from core.temporal import connect
from worker.app import build_worker
from workflows.compiler import compile_definition
from workflows.registry import REGISTRY

HERE = Path(__file__).parent


def _n(node_id, node_type, config, **extra):
    return {"id": node_id, "type": node_type, "config": config, **extra}


GRAPHS = {
    "fan_out_fan_in": {
        "name": "fan out fan in",
        "nodes": [_n("start", "transform", {"output": {"n": "{{ inputs.n }}"}}),
                  *[_n(f"branch{i}", "transform", {"output": f"{{{{ nodes.start.output.n * {i} }}}}"})
                    for i in range(1, 4)],
                  _n("join", "transform", {"output": "{{ nodes.branch1.output + nodes.branch2.output + nodes.branch3.output }}"})],
        "edges": [{"from": "start", "to": f"branch{i}"} for i in range(1, 4)]
                 + [{"from": f"branch{i}", "to": "join"} for i in range(1, 4)],
    },
    "branch_with_skips": {
        "name": "branch with skips",
        "nodes": [_n("check", "condition", {"expression": "{{ inputs.n > 10 }}"}),
                  _n("big", "transform", {"output": "big"}),
                  _n("small", "transform", {"output": "small"}),
                  _n("after_small", "delay", {"seconds": 0.1}),
                  _n("merge", "transform", {"output": "merged"})],
        "edges": [{"from": "check", "to": "big", "when": "{{ nodes.check.output.result }}"},
                  {"from": "check", "to": "small", "when": "{{ not nodes.check.output.result }}"},
                  {"from": "small", "to": "after_small"},
                  {"from": "big", "to": "merge"}, {"from": "after_small", "to": "merge"}],
    },
    "failure_after_retries": {
        "name": "failure after retries",
        "nodes": [_n("ok", "transform", {"output": 1}),
                  _n("flaky", "shell", {"argv": ["sh", "-c", "exit 7"]},
                     retry={"max_attempts": 3, "initial_interval_s": 0.1, "backoff": 1.0}),
                  _n("never", "transform", {"output": 2})],
        "edges": [{"from": "ok", "to": "flaky"}, {"from": "flaky", "to": "never"}],
    },
    "for_each_batches": {
        "name": "for each in batches",
        "nodes": [_n("make", "transform", {"output": "{{ range(5) | list }}"}),
                  _n("each", "for_each", {"items": "{{ nodes.make.output }}", "batch_size": 2, "concurrency": 2,
                                          "node": {"type": "transform", "config": {"output": "{{ item * 3 }}"}}}),
                  _n("sum", "transform", {"output": "{{ nodes.each.output.results | sum }}"})],
        "edges": [{"from": "make", "to": "each"}, {"from": "each", "to": "sum"}],
    },
}


def portable(history_json: str) -> str:
    """Failure stack traces name files of the recording machine; replay does
    not read them, so they are dropped and the history runs anywhere."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "stackTrace"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(json.loads(history_json)), indent=2) + "\n"


def strip_recorded() -> None:
    for path in sorted(HERE.glob("*.json")):
        path.write_text(portable(path.read_text()))
        print("made portable:", path.name)


async def main(only: list[str]) -> None:
    port = free_port()
    server = start_temporal(port=port)
    try:
        # Plaintext on purpose: CI replays these on every machine, which has
        # its own payload key; the codec passes plaintext through (docs/compliance.md).
        settings = Settings(temporal_address=f"127.0.0.1:{port}", shell_enabled=True, payload_encryption=False)
        client = await connect(settings)
        async with build_worker(client, settings, task_queue="record"):
            for name, definition in GRAPHS.items():
                if only and name not in only:
                    continue
                plan = compile_definition(definition, REGISTRY)
                handle = await start_graph(client, plan, {"n": 20}, task_queue="record",
                                           execution_id=f"{name}-{uuid.uuid4().hex[:6]}")
                try:
                    await handle.result()
                except WorkflowFailureError:
                    pass
                history = await handle.fetch_history()
                target = HERE / f"{name}.json"
                if target.exists():
                    target = HERE / f"{name}-{uuid.uuid4().hex[:6]}.json"
                target.write_text(portable(history.to_json()))
                print("recorded", target.name)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["--strip"]:
        strip_recorded()  # histories recorded before stack traces were dropped
    else:
        asyncio.run(main(sys.argv[1:]))  # names: record only those graphs
