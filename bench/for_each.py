"""for_each at scale: one run mapping a transform over 10,000 items, in
batches of child workflows. Prints the run's time, its own history (events
and bytes) and the largest batch child's, against Temporal's limits
(51,200 events and 50 MB per history).

    .venv/bin/python bench/for_each.py [--items 10000] [--batch-size 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.devserver import free_port, start_temporal  # noqa: E402
from core.launch import start_graph  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.temporal import connect  # noqa: E402
from worker.app import build_worker  # noqa: E402
from workflows.compiler import compile_definition  # noqa: E402
from workflows.registry import REGISTRY  # noqa: E402

EVENT_LIMIT, SIZE_LIMIT = 51_200, 50 * 1024 * 1024


def definition(items: int, batch_size: int, concurrency: int) -> dict:
    return {"name": "bench for_each", "nodes": [
        {"id": "each", "type": "for_each", "config": {
            "items": f"{{{{ range({items}) | list }}}}", "max_items": items, "batch_size": batch_size,
            "concurrency": concurrency, "node": {"type": "transform", "config": {"output": "{{ item * 2 }}"}}}},
    ], "edges": []}


async def history_size(client, workflow_id: str) -> tuple[int, int]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events), len(history.to_json())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    port = free_port()
    server = start_temporal(port=port)
    try:
        settings = Settings(temporal_address=f"127.0.0.1:{port}")
        client = await connect(settings)
        async with build_worker(client, settings, task_queue="bench-for-each"):
            plan = compile_definition(definition(args.items, args.batch_size, args.concurrency), REGISTRY)
            started = time.perf_counter()
            handle = await start_graph(client, plan, {}, task_queue="bench-for-each")
            result = await handle.result()
            took = time.perf_counter() - started
        output = result.nodes["each"].output
        assert output["results"] == [2 * i for i in range(args.items)], "results out of order"
        events, size = await history_size(client, handle.id)
        batches = -(-args.items // args.batch_size)
        child = [await history_size(client, f"{handle.id}.each.batch-{n}") for n in range(batches)]
        child_events, child_size = max(child)
        print(f"items={args.items} batches={batches} seconds={took:.1f} items_per_s={args.items / took:.0f}")
        print(f"parent_history events={events} bytes={size} ({100 * size / SIZE_LIMIT:.2f}% of 50 MB, "
              f"{100 * events / EVENT_LIMIT:.2f}% of the event limit)")
        print(f"largest_batch_history events={child_events} bytes={child_size} "
              f"({100 * child_events / EVENT_LIMIT:.2f}% of the event limit)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
