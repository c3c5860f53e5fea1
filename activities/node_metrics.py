"""Node metrics, recorded through the Temporal SDK's meter so the worker's one
Prometheus endpoint (worker/metrics.py) exports them next to the SDK's own:
agentic_node_duration (seconds, a histogram) and agentic_node_outcomes_total,
both by node type and outcome. Outcomes: succeeded, failed (for good),
error (may be retried), cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from datetime import timedelta

from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError


def _meter() -> MetricMeter:
    try:
        return activity.metric_meter()
    except RuntimeError:  # outside a worker's activity (unit tests call handlers directly)
        return MetricMeter.noop


def outcome_of(err: BaseException | None) -> str:
    if err is None:
        return "succeeded"
    if isinstance(err, asyncio.CancelledError):
        return "cancelled"
    if isinstance(err, ApplicationError) and err.non_retryable:
        return "failed"
    return "error"


@contextlib.contextmanager
def observed(node_type: str) -> Iterator[None]:
    started = time.perf_counter()
    failure: BaseException | None = None
    try:
        yield
    except BaseException as err:
        failure = err
        raise
    finally:
        meter = _meter().with_additional_attributes({"node_type": node_type, "outcome": outcome_of(failure)})
        meter.create_histogram_timedelta("agentic_node_duration", "time one node attempt took").record(
            timedelta(seconds=time.perf_counter() - started))
        meter.create_counter("agentic_node_outcomes", "node attempts by outcome").add(1)
