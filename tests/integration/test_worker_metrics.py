"""The worker's Prometheus endpoint: the Temporal SDK's metrics and our node
metrics (duration and outcome by node type) on AGENTIC_WORKER_METRICS_ADDRESS."""

from __future__ import annotations

import socket

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import WorkflowFailureError

from core.temporal import connect
from tests.integration.graphs import graph, node, run
from worker.app import build_worker
from worker.metrics import worker_runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def node_samples(text: str, name: str, **labels) -> float:
    """The sum over every series of `name` carrying `labels` (the SDK adds its own)."""
    return sum(v for (n, ls), v in samples(text).items() if n == name and set(labels.items()) <= ls)


async def test_worker_exports_sdk_and_node_metrics(settings, task_queue):
    address = f"127.0.0.1:{free_port()}"
    configured = settings.model_copy(update={"worker_metrics_address": address})
    client = await connect(configured, runtime=worker_runtime(configured))
    async with build_worker(client, configured, task_queue=task_queue):
        ok = graph([node("a", "transform", {"output": "{{ inputs.n + 1 }}"})], [])
        assert (await run(client, task_queue, ok, {"n": 1})).status == "succeeded"
        bad = graph([node("b", "transform", {"output": "{{ inputs.n.nope() }}"})], [])
        try:
            await run(client, task_queue, bad, {"n": 1})
        except WorkflowFailureError:
            pass
        text = httpx.get(f"http://{address}/metrics").text
    assert node_samples(text, "temporal_workflow_completed_total") >= 1  # the SDK's own
    assert node_samples(text, "agentic_node_outcomes_total", node_type="transform", outcome="succeeded") == 1
    assert node_samples(text, "agentic_node_outcomes_total", node_type="transform", outcome="failed") == 1
    assert node_samples(text, "agentic_node_duration_count", node_type="transform", outcome="succeeded") == 1


def test_no_address_no_runtime(settings):
    assert worker_runtime(settings.model_copy(update={"worker_metrics_address": None})) is None
