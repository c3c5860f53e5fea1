"""Engine benchmark: GraphWorkflow (3 transform nodes) vs a raw 3-activity workflow.

    .venv/bin/python bench/engine.py [--n 200] [--concurrency 50]

Runs in one process against one Temporal dev server it starts (or the one at
AGENTIC_TEMPORAL_ADDRESS when --external). Prints, for both, latency p50/p99
of executions run one after another (what a waiting client sees), the split of
that latency from history (start -> first task, server-side run, result hop),
and throughput with many executions in flight; the last line is
throughput_ratio=<platform/raw>.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from raw_workflow import RawThreeSteps, raw_step  # noqa: E402

from cli.devserver import free_port, start_temporal  # noqa: E402
from core.launch import start_graph  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402
from core.temporal import connect  # noqa: E402
from worker.app import build_worker  # noqa: E402
from workflows.compiler import compile_definition  # noqa: E402
from workflows.registry import REGISTRY  # noqa: E402
from workflows.runner import workflow_runner  # noqa: E402

GRAPH = {
    "name": "bench three transforms",
    "nodes": [
        {"id": "a", "type": "transform", "config": {"output": {"n": "{{ inputs.n + 1 }}"}}},
        {"id": "b", "type": "transform", "config": {"output": {"n": "{{ nodes.a.output.n + 1 }}"}}},
        {"id": "c", "type": "transform", "config": {"output": {"n": "{{ nodes.b.output.n + 1 }}"}}},
    ],
    "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Platform:
    name = "platform"

    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue
        self.plan = compile_definition(GRAPH, REGISTRY)

    async def start(self):
        return await start_graph(self.client, self.plan, {"n": 0}, task_queue=self.task_queue)


class Raw:
    name = "raw"

    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue

    async def start(self):
        return await self.client.start_workflow(RawThreeSteps.run, {"n": 0}, id=f"raw-{uuid.uuid4().hex}",
                                                task_queue=self.task_queue)


async def history_split(handle) -> tuple[float, float]:
    """(first event -> last event, last event -> now) in ms."""
    events = [e async for e in handle.fetch_history_events()]
    first, last = events[0].event_time.ToDatetime(), events[-1].event_time.ToDatetime()
    return (last - first).total_seconds() * 1000


async def sequential(runner, n: int) -> dict:
    latencies, server_side = [], []
    for _ in range(n):
        began = time.perf_counter()
        handle = await runner.start()
        await handle.result()
        latencies.append((time.perf_counter() - began) * 1000)
        server_side.append(await history_split(handle))
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "history_p50": percentile(server_side, 50)}


async def concurrent(runner, n: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one():
        async with gate:
            handle = await runner.start()
            await handle.result()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return n / (time.perf_counter() - began)


async def measure(runner, n: int, concurrency: int) -> dict:
    await sequential(runner, 5)  # warm-up: pollers, caches, connections
    figures = await sequential(runner, n)
    figures["throughput"] = await concurrent(runner, n, concurrency)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--external", action="store_true", help="use AGENTIC_TEMPORAL_ADDRESS")
    args = parser.parse_args()
    server = None
    if args.external:
        settings = get_settings()
    else:
        port = free_port()
        server = start_temporal(port=port)
        settings = Settings(temporal_address=f"127.0.0.1:{port}")
    try:
        client = await connect(settings)
        platform_worker = build_worker(client, settings, task_queue="bench-platform")
        raw_worker = Worker(client, task_queue="bench-raw", workflows=[RawThreeSteps],
                            activities=[raw_step], workflow_runner=workflow_runner())
        async with platform_worker, raw_worker:
            results = {}
            for runner in (Raw(client, "bench-raw"), Platform(client, "bench-platform")):
                results[runner.name] = await measure(runner, args.n, args.concurrency)
    finally:
        if server:
            server.terminate()
            server.wait()
    print(f"n={args.n} concurrency={args.concurrency} (3 steps each; latency = start -> result, one at a time)")
    for name, f in results.items():
        print(f"{name:9s} latency p50={f['p50']:.1f} ms p99={f['p99']:.1f} ms "
              f"(first->last history event p50={f['history_p50']:.1f} ms)  throughput={f['throughput']:.1f}/s")
    print(f"latency_ratio_p50={results['platform']['p50'] / results['raw']['p50']:.2f}")
    print(f"throughput_ratio={results['platform']['throughput'] / results['raw']['throughput']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
