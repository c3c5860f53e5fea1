"""Composition root of the worker: settings, client, activity objects, Worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.approvals import approval_activities
from activities.base import ActivityDeps
from activities.registry import node_activities
from compliance.runtime import scanner
from core.settings import Settings
from outbound import Outbound
from workflows import signatures
from workflows.for_each import ForEachBatchWorkflow
from workflows.graph_workflow import GraphWorkflow
from workflows.runner import workflow_runner


def build_activities(settings: Settings) -> list[Callable]:
    # Every request a node makes leaves through this one guard (outbound/).
    outbound = Outbound(settings)
    deps = ActivityDeps(settings=settings, outbound=outbound)
    activities = node_activities(deps)
    activities += approval_activities(settings, outbound)
    if settings.database_url:
        from activities.records import record_activities  # needs PostgreSQL

        activities += record_activities(settings)
    return activities


def build_worker(client: Client, settings: Settings, *, task_queue: str | None = None) -> Worker:
    signatures.configure_from(settings)  # the interpreter runs only launches the API signed
    scanner(settings)  # the compliance analyzer, built once: a configured spaCy model missing stops the start
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=[GraphWorkflow, ForEachBatchWorkflow],
        workflow_runner=workflow_runner(),
        activities=build_activities(settings),
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=10),
        # Heartbeats carry cancellation back to a node; do not sit on them.
        default_heartbeat_throttle_interval=timedelta(seconds=1),
        max_heartbeat_throttle_interval=timedelta(seconds=2),
    )
