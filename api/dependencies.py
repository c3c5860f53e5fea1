"""Probes of what the API and its workers depend on, each timed: PostgreSQL,
Temporal, workers polling the task queue, and the LLM endpoint when one is
configured. Used by /health/ready and /health/dependencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest

from api.state import AppState
from outbound import Outbound

CHECK_TIMEOUT_S = 3.0


@dataclass
class Probe:
    status: str  # "ok", "down" or "not_configured"
    latency_ms: float | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def timed(check: Callable[[], Awaitable[dict[str, Any] | None]]) -> Probe:
    started = time.perf_counter()
    try:
        details = await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - any failure is "down", said with its type
        return Probe("down", _ms(started), (f"{type(err).__name__}: {err}"[:300]) or "failed")
    return Probe("ok", _ms(started), details=details or {})


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def postgres(state: AppState) -> None:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def temporal(state: AppState) -> None:
    if not await state.temporal.service_client.check_health():
        raise RuntimeError("health check answered not serving")


async def temporal_version(state: AppState) -> str | None:
    info = await state.temporal.workflow_service.get_system_info(GetSystemInfoRequest())
    return info.server_version or None


async def workers(state: AppState) -> dict[str, Any]:
    """Workers that polled our task queue lately (Temporal keeps a poller
    listed for a few minutes after its last poll): none is down."""
    counts = {}
    for name, kind in (("workflow_pollers", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                       ("activity_pollers", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)):
        answer = await state.temporal.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=state.settings.temporal_namespace,
            task_queue=TaskQueue(name=state.settings.temporal_task_queue), task_queue_type=kind))
        counts[name] = len(answer.pollers)
    details = {"task_queue": state.settings.temporal_task_queue, **counts}
    if not counts["workflow_pollers"]:
        raise NoWorkers(f"no worker polls task queue {state.settings.temporal_task_queue!r}")
    return details


class NoWorkers(RuntimeError):
    pass


async def llm(state: AppState) -> None:
    """The configured OpenAI-compatible endpoint lists its models; asked through
    the egress policy the worker's llm node uses, so "ok" means nodes can reach it."""
    base = state.settings.llm_base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {state.settings.llm_api_key}"} if state.settings.llm_api_key else {}
    async with Outbound(state.settings).http_client(timeout=CHECK_TIMEOUT_S) as http:
        answer = await http.get(f"{base}/models", headers=headers)
    if answer.status_code >= 400:
        raise RuntimeError(f"GET /models answered {answer.status_code}")


async def all_probes(state: AppState) -> dict[str, Probe]:
    names = ["postgresql", "temporal", "workers"]
    checks = [timed(lambda: postgres(state)), timed(lambda: temporal(state)), timed(lambda: workers(state))]
    if state.settings.llm_base_url:
        names.append("llm")
        checks.append(timed(lambda: llm(state)))
    probes = dict(zip(names, await asyncio.gather(*checks), strict=True))
    probes.setdefault("llm", Probe("not_configured"))
    return probes
