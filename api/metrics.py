"""Prometheus metrics of one API process: requests by route template and
status, requests in flight, the database pool, and the platform's counts
(executions by status, approvals waiting, schedules), read from PostgreSQL on
scrape under a short cache so a busy scraper costs one query set per window."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.db.models import EXECUTION_STATUSES, Approval, Execution, Schedule

# One registry for the process's API metrics (not the global default, which
# also collects the process and GC collectors twice when tests build many apps).
REGISTRY = CollectorRegistry()
UNMATCHED = "<unmatched>"  # a path no route matched: never the raw path (unbounded labels)

REQUESTS = Counter("agentic_api_requests", "HTTP requests answered, by method, route template and status",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("agentic_api_request_duration_seconds", "time to answer an HTTP request",
                    ["method", "route", "status"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
IN_FLIGHT = Gauge("agentic_api_requests_in_flight", "HTTP requests being answered", registry=REGISTRY)
POOL = Gauge("agentic_api_db_pool_connections", "database pool connections by state "
             "(size: configured, checked_out: in use, overflow: beyond size)", ["state"], registry=REGISTRY)
EXECUTIONS = Gauge("agentic_executions", "execution rows by status", ["status"], registry=REGISTRY)
APPROVALS_WAITING = Gauge("agentic_approvals_waiting", "approvals waiting for a decision", registry=REGISTRY)
SCHEDULES = Gauge("agentic_schedules", "schedules by state", ["state"], registry=REGISTRY)


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (set by
    the router on the scope), so label values are bounded by the app's routes."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500
        started = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, capture)
        finally:
            IN_FLIGHT.dec()
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            labels = (scope["method"], route, str(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - started)


@dataclass
class PlatformCounts:
    """The counts behind the platform gauges, refreshed at most every `max_age_s`."""

    max_age_s: float = 10.0
    _refreshed_at: float = field(default=float("-inf"))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with self._lock:  # concurrent scrapes share one refresh
            if time.monotonic() - self._refreshed_at < self.max_age_s:
                return
            async with sessions() as session:
                by_status = dict((await session.execute(
                    select(Execution.status, func.count()).group_by(Execution.status))).all())
                waiting = await session.scalar(
                    select(func.count()).select_from(Approval)
                    .join(Execution, Execution.id == Approval.execution_id)
                    .where(Approval.status == "pending", Execution.status.in_(("pending", "running"))))
                schedules = dict((await session.execute(
                    select(Schedule.paused, func.count()).group_by(Schedule.paused))).all())
            for status in EXECUTION_STATUSES:
                EXECUTIONS.labels(status).set(by_status.get(status, 0))
            APPROVALS_WAITING.set(waiting or 0)
            SCHEDULES.labels("active").set(schedules.get(False, 0))
            SCHEDULES.labels("paused").set(schedules.get(True, 0))
            self._refreshed_at = time.monotonic()


def observe_pool(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    for state, read in (("size", "size"), ("checked_out", "checkedout"), ("overflow", "overflow")):
        reader = getattr(pool, read, None)
        if reader is not None:
            POOL.labels(state).set(max(reader(), 0))
