"""The baselines: hand-written workflows with the raw Temporal SDK doing the
same work as the benchmarked graphs (3 transforms; 3 HTTP GETs)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import httpx


@activity.defn(name="raw_step")
async def raw_step(value: dict) -> dict:
    return {"n": value["n"] + 1}


@workflow.defn(name="RawThreeSteps")
class RawThreeSteps:
    @workflow.run
    async def run(self, value: dict) -> dict:
        for _ in range(3):
            value = await workflow.execute_activity(raw_step, value, start_to_close_timeout=timedelta(seconds=30))
        return value


_client: httpx.AsyncClient | None = None


@activity.defn(name="raw_get")
async def raw_get(url: str) -> dict:
    # One pooled client for every call: the strongest plain baseline (a client
    # per call would cost the baseline an SSL context each time).
    global _client
    if _client is None:
        _client = httpx.AsyncClient()
    response = await _client.get(url)
    return {"status": response.status_code, "body": response.json()}


@workflow.defn(name="RawThreeRequests")
class RawThreeRequests:
    @workflow.run
    async def run(self, url: str) -> dict:
        result: dict = {}
        for _ in range(3):
            result = await workflow.execute_activity(raw_get, url, start_to_close_timeout=timedelta(seconds=30))
        return result
