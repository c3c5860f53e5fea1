"""Bounded load generator against a running stack (API + worker + Temporal + PostgreSQL).

    python bench/api.py --base-url http://127.0.0.1:8000 --clients 50 --requests 2000

Run it with the API's environment (AGENTIC_DATABASE_URL, AGENTIC_JWT_SECRET):
it also starts the floor app (bench/floor_app.py: the same list query and JWT
check, nothing else) on a free port. Registers a throwaway user, saves a few
graphs, then measures:
- `GET /api/v1/workflows` on the API and the same on the floor, closed loop
  with N clients, interleaved in rounds so the machine's load hits both alike;
  prints read_ratio = API req/s / floor req/s;
- open loop at fixed offered rates (--rates, default 50 100 200 req/s): each
  request leaves at its scheduled time whatever the earlier ones do, and its
  latency counts from that time (no coordinated omission); p50/p99 for both;
- `POST .../executions` with N clients and the execute-to-completed p50
  (--starts 0 skips both).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

GRAPH = {
    "name": "bench three nodes",
    "nodes": [
        {"id": "a", "type": "transform", "config": {"output": {"n": 1}}},
        {"id": "b", "type": "transform", "config": {"output": "{{ nodes.a.output.n }}"}},
        {"id": "c", "type": "transform", "config": {"output": "{{ nodes.b.output }}"}},
    ],
    "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def load(http: httpx.AsyncClient, method: str, url: str, total: int, clients: int,
               **kwargs) -> tuple[list[float], float, list]:
    latencies: list[float] = []
    bodies: list = []
    queue = iter(range(total))

    async def client() -> None:
        for _ in queue:
            start = time.perf_counter()
            response = await http.request(method, url, **kwargs)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code < 300, response.text
            bodies.append(response.json())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started, bodies


def report(label: str, latencies: list[float], elapsed: float) -> None:
    print(f"{label:<28} n={len(latencies):<5} p50={pct(latencies, 50):7.1f} ms  "
          f"p99={pct(latencies, 99):7.1f} ms  {len(latencies) / elapsed:7.1f} req/s")


async def read_rounds(api: httpx.AsyncClient, floor: httpx.AsyncClient, headers: dict, total: int,
                      clients: int, rounds: int = 4) -> dict[str, tuple[list[float], float]]:
    """Closed loop on both, alternating rounds; (latencies, seconds) summed per side."""
    out: dict[str, tuple[list[float], float]] = {"api": ([], 0.0), "floor": ([], 0.0)}
    for i in range(rounds):
        order = (("api", api), ("floor", floor)) if i % 2 == 0 else (("floor", floor), ("api", api))
        for label, http in order:
            lat, elapsed, _ = await load(http, "GET", "/api/v1/workflows", total // rounds, clients, headers=headers)
            out[label] = (out[label][0] + lat, out[label][1] + elapsed)
    return out


async def open_loop(http: httpx.AsyncClient, headers: dict, rate: float, seconds: float) -> tuple[list[float], int]:
    """Requests sent at `rate` per second for `seconds`; (latencies from each
    request's scheduled time, failures)."""
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.05
    latencies: list[float] = []
    failures = 0

    async def one(at: float) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, at - loop.time()))
        try:
            response = await http.get("/api/v1/workflows", headers=headers)
            if response.status_code >= 300:
                failures += 1
        except httpx.HTTPError:
            failures += 1
        latencies.append((loop.time() - at) * 1000)

    await asyncio.gather(*(one(begin + i / rate) for i in range(int(rate * seconds))))
    return latencies, failures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start_floor() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("floor_app.py")), str(port)],
                               env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(200):
            try:
                await probe.get("/api/v1/workflows")
                return process, base
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    process.terminate()
    raise RuntimeError("the floor app did not start (does it have the API's AGENTIC_DATABASE_URL?)")


async def completion_times(http: httpx.AsyncClient, wf_id: str, headers: dict, runs: int) -> list[float]:
    """Spaced-out runs: POST, then poll the summary row until final."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        ex = (await http.post(f"/api/v1/workflows/{wf_id}/executions", json={}, headers=headers)).json()
        while True:
            body = (await http.get(f"/api/v1/executions/{ex['id']}", headers=headers)).json()
            if body["status"] not in ("pending", "running"):
                break
            await asyncio.sleep(0.005)
        times.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.3)
    return times


async def drain(http: httpx.AsyncClient, wf_id: str, headers: dict) -> None:
    for status in ("pending", "running"):
        while (await http.get(f"/api/v1/workflows/{wf_id}/executions", params={"status": status, "limit": 1},
                              headers=headers)).json()["total"]:
            await asyncio.sleep(0.5)


async def main(args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    floor_process, floor_base = await start_floor()
    try:
        async with httpx.AsyncClient(base_url=args.base_url, timeout=60, limits=limits) as http, \
                httpx.AsyncClient(base_url=floor_base, timeout=60, limits=limits) as floor:
            await measure(args, http, floor)
    finally:
        floor_process.terminate()
        floor_process.wait()


async def measure(args: argparse.Namespace, http: httpx.AsyncClient, floor: httpx.AsyncClient) -> None:
    user = f"bench{uuid.uuid4().hex[:8]}"
    await http.post("/api/v1/auth/register", json={"username": user, "password": "bench-password"})
    token = (await http.post("/api/v1/auth/token",
                             data={"username": user, "password": "bench-password"})).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    wf = (await http.post("/api/v1/workflows", json=GRAPH, headers=headers)).json()
    for i in range(args.workflows - 1):  # a page with some rows to serialise
        await http.post("/api/v1/workflows", json={**GRAPH, "name": f"bench {i}"}, headers=headers)
    api_page = (await http.get("/api/v1/workflows", headers=headers)).json()
    floor_page = (await floor.get("/api/v1/workflows", headers=headers)).json()
    assert [w["id"] for w in api_page["items"]] == [w["id"] for w in floor_page["items"]], "not the same answer"
    for _ in range(20):  # warm the pools
        await http.get("/api/v1/workflows", headers=headers)
        await floor.get("/api/v1/workflows", headers=headers)

    reads = await read_rounds(http, floor, headers, args.requests, args.clients)
    report("GET /api/v1/workflows", *reads["api"])
    report("GET floor (same query)", *reads["floor"])
    rates = {label: len(lat) / elapsed for label, (lat, elapsed) in reads.items()}
    print(f"read_ratio={rates['api'] / rates['floor']:.2f}  (API / floor throughput at {args.clients} clients)")
    for rate in args.rates:
        for label, client in (("api", http), ("floor", floor)):
            lat, failures = await open_loop(client, headers, rate, args.open_seconds)
            print(f"open loop {label:<5} offered={rate:5.0f}/s  n={len(lat):<5} p50={pct(lat, 50):7.1f} ms  "
                  f"p99={pct(lat, 99):7.1f} ms  failures={failures}")
    if not args.starts:
        return
    lat, elapsed, _ = await load(http, "POST", f"/api/v1/workflows/{wf['id']}/executions",
                                 args.starts, args.clients, headers=headers, json={})
    report("POST .../executions", lat, elapsed)
    await drain(http, wf["id"], headers)  # completion is measured on an idle worker
    done = await completion_times(http, wf["id"], headers, args.runs)
    print(f"{'execute-to-completed (3 nodes)':<28} n={len(done):<5} p50={pct(done, 50):7.1f} ms  "
          f"p99={pct(done, 99):7.1f} ms  (spaced 300 ms apart)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="GET requests in total, per side")
    parser.add_argument("--workflows", type=int, default=10, help="workflows the bench user saves")
    parser.add_argument("--rates", type=float, nargs="*", default=[50, 100, 200], help="open-loop offered req/s")
    parser.add_argument("--open-seconds", type=float, default=5.0, help="length of each open-loop phase")
    parser.add_argument("--starts", type=int, default=500, help="POST .../executions in total (0: none)")
    parser.add_argument("--runs", type=int, default=20, help="execute-to-completed samples")
    asyncio.run(main(parser.parse_args()))
