"""Expression benchmark: how much do heavy expressions slow everything else?

    .venv/bin/python bench/expressions.py [--n 30] [--heavy 3]

1. Limits: how long each heavy template takes to be refused (or to finish)
   under the limits of workflows/expression_limits.py.
2. Event loop: the lag of an `asyncio.sleep(0)` round trip (what every other
   request or node waits), alone and while --heavy expressions evaluate in
   core/expression_threads at once, back to back.
3. Worker: a trivial run's latency (start -> result, one after another) on a
   worker alone, then while --heavy heavy transforms keep running on the same
   worker (the issue measured 26 ms -> 2,097 ms before the fix).

Prints figures and ratios; asserts nothing. Starts its own Temporal dev server
(or uses AGENTIC_TEMPORAL_ADDRESS with --external).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import httpx
from temporalio.client import WorkflowFailureError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.devserver import free_port, start_temporal  # noqa: E402
from core import expression_threads  # noqa: E402
from core.launch import start_graph  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402
from core.temporal import connect  # noqa: E402
from worker.app import build_worker  # noqa: E402
from workflows.compiler import compile_definition  # noqa: E402
from workflows.expressions import ExpressionError, render_string  # noqa: E402
from workflows.registry import REGISTRY  # noqa: E402

HEAVY = {
    "replace bypass (issue)": "{{ (('x'*1000000)|replace('x','x'*50))|length }}",
    "nested loops (issue)": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "steps: 100k iterations": "{% for i in range(99990) %}{{ i % 7 }}{% endfor %}",
    "data: regex over 1 MB": "{% set s = 'ab ' * 330000 %}{% for i in range(20) %}{{ s|wordcount }}{% endfor %}",
    "data: split 1 MB": "{% set s = 'ab ' * 330000 %}{% for i in range(200) %}{{ s.split()|length }}{% endfor %}",
}
TRIVIAL = {"name": "trivial", "nodes": [{"id": "t", "type": "transform", "config": {"output": "{{ inputs.n + 1 }}"}}]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def limits() -> None:
    print("1. heavy templates under the limits (in this thread)")
    for label, text in HEAVY.items():
        began = time.perf_counter()
        try:
            render_string(text, {})
            outcome = "finished"
        except ExpressionError as err:
            outcome = str(err)
        print(f"   {label:24s} {(time.perf_counter() - began) * 1000:8.1f} ms  {outcome[:70]}")


async def loop_lag(samples: int) -> list[float]:
    lags = []
    for _ in range(samples):
        began = time.perf_counter()
        await asyncio.sleep(0)
        lags.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.002)
    return lags


async def keep_busy(stop: asyncio.Event, work) -> int:
    done = 0
    while not stop.is_set():
        await work()
        done += 1
    return done


async def with_heavy(heavy: int, work, measure):
    stop = asyncio.Event()
    busy = [asyncio.create_task(keep_busy(stop, work)) for _ in range(heavy)]
    await asyncio.sleep(0.2)  # let them start
    try:
        return await measure()
    finally:
        stop.set()
        await asyncio.gather(*busy)


async def heavy_expression() -> None:
    for text in list(HEAVY.values())[2:]:
        try:
            await expression_threads.evaluate(render_string, text, {}, timeout_s=2.0)
        except ExpressionError:
            pass


async def event_loop(heavy: int) -> None:
    alone = await loop_lag(500)
    busy = await with_heavy(heavy, heavy_expression, lambda: loop_lag(500))
    print(f"2. event loop lag: alone p50={percentile(alone, 50):.3f} ms p99={percentile(alone, 99):.3f} ms; "
          f"with {heavy} heavy expressions p50={percentile(busy, 50):.3f} ms p99={percentile(busy, 99):.3f} ms")


async def trivial_latencies(client, task_queue: str, plan, n: int) -> list[float]:
    latencies = []
    for i in range(n):
        began = time.perf_counter()
        handle = await start_graph(client, plan, {"n": i}, task_queue=task_queue)
        await handle.result()
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


async def worker_figures(settings: Settings, n: int, heavy: int) -> None:
    client = await connect(settings)
    trivial = compile_definition(TRIVIAL, REGISTRY)
    heavy_plans = [compile_definition({"name": label, "nodes": [
        {"id": "h", "type": "transform", "config": {"output": text}, "retry": {"max_attempts": 1}}]}, REGISTRY)
        for label, text in list(HEAVY.items())[2:]]

    async def heavy_run() -> None:
        for plan in heavy_plans:
            handle = await start_graph(client, plan, {}, task_queue="bench-expressions")
            try:
                await handle.result()
            except WorkflowFailureError:
                pass  # over a limit, or over the node output cap: heavy either way

    async with httpx.AsyncClient() as http, build_worker(client, settings, http, task_queue="bench-expressions"):
        await trivial_latencies(client, "bench-expressions", trivial, 5)  # warm-up
        alone = await trivial_latencies(client, "bench-expressions", trivial, n)
        busy = await with_heavy(heavy, heavy_run,
                                lambda: trivial_latencies(client, "bench-expressions", trivial, n))
    a50, b50 = percentile(alone, 50), percentile(busy, 50)
    print(f"3. trivial run on the worker: alone p50={a50:.1f} ms p99={percentile(alone, 99):.1f} ms; "
          f"with {heavy} heavy transforms p50={b50:.1f} ms p99={percentile(busy, 99):.1f} ms")
    print(f"trivial_latency_ratio_p50={b50 / a50:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30, help="trivial runs per measurement")
    parser.add_argument("--heavy", type=int, default=3, help="heavy evaluations kept running at once")
    parser.add_argument("--external", action="store_true", help="use AGENTIC_TEMPORAL_ADDRESS")
    args = parser.parse_args()
    logging.getLogger("temporalio").setLevel(logging.ERROR)  # the heavy nodes' failures are expected
    limits()
    await event_loop(args.heavy)
    server = None
    if args.external:
        settings = get_settings()
    else:
        port = free_port()
        server = start_temporal(port=port)
        settings = Settings(temporal_address=f"127.0.0.1:{port}")
    try:
        await worker_figures(settings, args.n, args.heavy)
    finally:
        if server:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    asyncio.run(main())
