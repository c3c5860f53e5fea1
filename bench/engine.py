"""Engine benchmark, two pairs measured in one run against one Temporal:
- GraphWorkflow with 3 transform nodes (pure: local activities) vs a raw
  workflow of 3 activities doing the same arithmetic;
- GraphWorkflow with 3 http_request nodes vs a raw workflow whose 3
  activities GET the same local HTTP server (bench/http_target.py).

    .venv/bin/python bench/engine.py [--n 200] [--concurrency 50]

Runs in one process against one Temporal dev server it starts (or the one at
AGENTIC_TEMPORAL_ADDRESS when --external). Prints, for each, latency p50/p99
of executions run one after another (what a waiting client sees), the
server-side span of its history, and throughput with many executions in
flight; then per pair latency_ratio_p50 and throughput_ratio (platform/raw).
The two sides of a pair are measured interleaved, so a shared machine's load
moves both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from raw_workflow import RawThreeRequests, RawThreeSteps, raw_get, raw_step  # noqa: E402

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


def http_graph(url: str) -> dict:
    get = {"method": "GET", "url": url}
    return {
        "name": "bench three requests",
        "nodes": [{"id": nid, "type": "http_request", "config": get} for nid in ("a", "b", "c")],
        "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Platform:
    def __init__(self, name: str, client: Client, task_queue: str, graph: dict):
        self.name, self.client, self.task_queue = name, client, task_queue
        self.plan = compile_definition(graph, REGISTRY)

    async def start(self):
        return await start_graph(self.client, self.plan, {"n": 0}, task_queue=self.task_queue)


class Raw:
    def __init__(self, name: str, client: Client, task_queue: str, run, arg):
        self.name, self.client, self.task_queue, self.run, self.arg = name, client, task_queue, run, arg

    async def start(self):
        return await self.client.start_workflow(self.run, self.arg, id=f"raw-{uuid.uuid4().hex}",
                                                task_queue=self.task_queue)


async def history_split(handle) -> tuple[float, float]:
    """(first event -> last event, last event -> now) in ms."""
    events = [e async for e in handle.fetch_history_events()]
    first, last = events[0].event_time.ToDatetime(), events[-1].event_time.ToDatetime()
    return (last - first).total_seconds() * 1000


async def one_run(runner) -> tuple[float, float]:
    """(start -> result, first -> last history event) in ms."""
    began = time.perf_counter()
    handle = await runner.start()
    await handle.result()
    latency = (time.perf_counter() - began) * 1000
    return latency, await history_split(handle)


async def burst(runner, n: int, concurrency: int) -> float:
    """Seconds to run n executions with `concurrency` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one():
        async with gate:
            handle = await runner.start()
            await handle.result()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - began


async def measure_pair(raw, platform, n: int, concurrency: int, rounds: int = 4) -> dict:
    """Both sides interleaved (one run each in turn; bursts in alternating
    rounds), so load from elsewhere on a shared machine hits both alike."""
    for _ in range(5):  # warm-up: pollers, caches, connections
        await one_run(raw)
        await one_run(platform)
    runs: dict[str, list[tuple[float, float]]] = {raw.name: [], platform.name: []}
    for _ in range(n):
        for runner in (raw, platform):
            runs[runner.name].append(await one_run(runner))
    spent = {raw.name: 0.0, platform.name: 0.0}
    per_round = max(1, n // rounds)
    for i in range(rounds):
        for runner in ((raw, platform) if i % 2 == 0 else (platform, raw)):
            spent[runner.name] += await burst(runner, per_round, concurrency)
    figures = {}
    for name, values in runs.items():
        latencies, server_side = [v[0] for v in values], [v[1] for v in values]
        figures[name] = {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                         "history_p50": percentile(server_side, 50),
                         "throughput": per_round * rounds / spent[name]}
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
    # The platform's nodes may reach the local target (as `make run` allows loopback).
    settings = settings.model_copy(update={"outbound_allow_loopback": True})
    http_port = free_port()
    target = subprocess.Popen([sys.executable, str(Path(__file__).with_name("http_target.py")), str(http_port)])
    url = f"http://127.0.0.1:{http_port}/ok"
    try:
        await _wait_for(url)
        client = await connect(settings)
        platform_worker = build_worker(client, settings, task_queue="bench-platform")
        raw_worker = Worker(client, task_queue="bench-raw", workflows=[RawThreeSteps, RawThreeRequests],
                            activities=[raw_step, raw_get], workflow_runner=workflow_runner())
        async with platform_worker, raw_worker:
            results = await measure_pair(Raw("raw", client, "bench-raw", RawThreeSteps.run, {"n": 0}),
                                         Platform("platform", client, "bench-platform", GRAPH),
                                         args.n, args.concurrency)
            results |= await measure_pair(Raw("raw_http", client, "bench-raw", RawThreeRequests.run, url),
                                          Platform("platform_http", client, "bench-platform", http_graph(url)),
                                          args.n, args.concurrency)
    finally:
        target.terminate()
        target.wait()
        if server:
            server.terminate()
            server.wait()
    print(f"n={args.n} concurrency={args.concurrency} (3 steps each; latency = start -> result, one at a time)")
    for name, f in results.items():
        print(f"{name:14s} latency p50={f['p50']:.1f} ms p99={f['p99']:.1f} ms "
              f"(first->last history event p50={f['history_p50']:.1f} ms)  throughput={f['throughput']:.1f}/s")
    for label, platform, raw in (("transforms", "platform", "raw"), ("http", "platform_http", "raw_http")):
        print(f"{label}: latency_ratio_p50={results[platform]['p50'] / results[raw]['p50']:.2f} "
              f"throughput_ratio={results[platform]['throughput'] / results[raw]['throughput']:.2f}")


async def _wait_for(url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the benchmark's HTTP target at {url} did not start")


if __name__ == "__main__":
    asyncio.run(main())
