"""The worker's Prometheus endpoint: the Temporal SDK's own exporter (polls,
task slots, latencies: temporal_*) on AGENTIC_WORKER_METRICS_ADDRESS, which
also carries the node metrics recorded through the SDK's meter
(activities/node_metrics.py: agentic_node_*)."""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.settings import Settings


def worker_runtime(settings: Settings) -> Runtime | None:
    """A runtime exporting metrics on the configured address; None: the default runtime, no metrics."""
    if not settings.worker_metrics_address:
        return None
    # Seconds, as Prometheus names durations; counters end in _total.
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=settings.worker_metrics_address, durations_as_seconds=True, counters_total_suffix=True)))
