"""Bounded load generator against a running stack (API + worker + Temporal + PostgreSQL).

    python bench/api.py --base-url http://127.0.0.1:8000 --clients 50 --requests 2000

Registers a throwaway user, saves a 3-node graph, then measures
`GET /api/v1/workflows` and `POST .../executions` with N concurrent clients
(p50/p99 latency, requests per second) and the execute-to-completed p50.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

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
    async with httpx.AsyncClient(base_url=args.base_url, timeout=60, limits=limits) as http:
        user = f"bench{uuid.uuid4().hex[:8]}"
        await http.post("/api/v1/auth/register", json={"username": user, "password": "bench-password"})
        token = (await http.post("/api/v1/auth/token",
                                 data={"username": user, "password": "bench-password"})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        wf = (await http.post("/api/v1/workflows", json=GRAPH, headers=headers)).json()
        for _ in range(20):  # warm the pools
            await http.get("/api/v1/workflows", headers=headers)

        lat, elapsed, _ = await load(http, "GET", "/api/v1/workflows", args.requests, args.clients, headers=headers)
        report("GET /api/v1/workflows", lat, elapsed)
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
    parser.add_argument("--requests", type=int, default=2000, help="GET requests in total")
    parser.add_argument("--starts", type=int, default=500, help="POST .../executions in total")
    parser.add_argument("--runs", type=int, default=20, help="execute-to-completed samples")
    asyncio.run(main(parser.parse_args()))
