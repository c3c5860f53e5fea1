"""`python -m worker`: run until SIGTERM/SIGINT, then finish in-flight tasks."""

from __future__ import annotations

import asyncio
import logging
import signal

from core import logs
from core.settings import get_settings
from core.temporal import connect
from worker.app import build_worker
from worker.metrics import worker_runtime

log = logging.getLogger("worker")


async def main() -> None:
    settings = get_settings()
    logs.configure(settings, "worker")
    client = await connect(settings, runtime=worker_runtime(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(client, settings)
    if settings.outbound_allow_loopback:
        log.warning("AGENTIC_OUTBOUND_ALLOW_LOOPBACK is on: nodes may reach loopback services "
                    "(not the platform's own ports); development only")
    log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
    if settings.worker_metrics_address:
        log.info("worker metrics on http://%s/metrics", settings.worker_metrics_address)
    async with worker:
        await stop.wait()
        log.info("shutting down: finishing in-flight tasks")
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
