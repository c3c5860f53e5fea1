"""Reading Temporal history: the events of one execution (and its children),
event names, times and decoded payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from core.payload_codec import decode_message


def name(event: HistoryEvent) -> str:
    """EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> ActivityTaskScheduled."""
    raw = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    return "".join(part.capitalize() for part in raw.split("_"))


def at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime().replace(tzinfo=UTC)


def ms(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000, 3)


def decode(payloads) -> Any:
    """A decoded (`fetch`, `decoded`) payload's value."""
    try:
        values = pydantic_data_converter.payload_converter.from_payloads(list(payloads.payloads))
    except Exception:  # noqa: BLE001 - a payload we cannot read is shown as absent
        return None
    return values[0] if values else None


def summary(event: HistoryEvent) -> str | None:
    if not event.HasField("user_metadata") or not event.user_metadata.HasField("summary"):
        return None
    try:
        return pydantic_data_converter.payload_converter.from_payloads([event.user_metadata.summary])[0]
    except Exception:  # noqa: BLE001
        return None


def node_of_activity(activity_id: str) -> str:
    """A node rescheduled after a lost worker runs as `<node>#<n>`."""
    return activity_id.split("#", 1)[0]


# A local activity (a pure node: workflows/node_types.py `pure`) leaves no
# ActivityTask* events: one MarkerRecorded per node call, written when the
# workflow task that ran it completed, with its result or its failure.
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass
class LocalActivity:
    activity_id: str
    activity_type: str
    attempt: int
    result: Any  # the NodeOutcome as JSON, when it succeeded
    failure: Any  # the Failure proto, when it failed or was cancelled

    @property
    def node_id(self) -> str:
        return node_of_activity(self.activity_id)

    @property
    def is_node(self) -> bool:
        return self.activity_type.startswith("node.")

    @property
    def reported(self) -> Any:
        """What the node activity reported (NodeOutcome, or a failure's details):
        its attempt's times and rendered config."""
        if self.failure is None:
            return self.result
        if self.failure.HasField("application_failure_info"):
            return decode(self.failure.application_failure_info.details)
        return None

    @property
    def cancelled(self) -> bool:
        return self.failure is not None and self.failure.HasField("canceled_failure_info")


def local_activity(event: HistoryEvent) -> LocalActivity | None:
    """The local activity a MarkerRecorded event records, or None."""
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    a = event.marker_recorded_event_attributes
    if a.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in a.details:
        return None
    data = decode(a.details["data"])
    if not isinstance(data, dict):
        return None
    return LocalActivity(
        activity_id=str(data.get("activity_id", "")), activity_type=str(data.get("activity_type", "")),
        attempt=int(data.get("attempt") or 1),
        result=decode(a.details["result"]) if "result" in a.details else None,
        failure=a.failure if a.HasField("failure") else None)


def reported_time(reported: Any, key: str) -> datetime | None:
    """`started_at` / `finished_at` as a node activity reported them."""
    value = reported.get(key) if isinstance(reported, dict) else None
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return stamp if stamp is not None and stamp.tzinfo else None


def failure_of(failure) -> dict[str, Any]:
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    code = failure.application_failure_info.type if failure.HasField("application_failure_info") else None
    return {"code": code or "error", "message": failure.message}


def rendered_configs(history: WorkflowHistory) -> dict[str, Any]:
    """node id -> the config its activity rendered (secrets masked by the
    worker, activities/attempt.py), from the result or the failure details of
    its last attempt. History from before workers reported it has none."""
    nodes: dict[int, str] = {}
    rendered: dict[str, Any] = {}
    for event in history.events:
        kind = name(event)
        local = local_activity(event) if kind == "MarkerRecorded" else None
        if local is not None and local.is_node:
            _keep(rendered, local.node_id, local.reported)
        elif kind == "ActivityTaskScheduled":
            a = event.activity_task_scheduled_event_attributes
            if a.activity_type.name.startswith("node."):
                nodes[event.event_id] = node_of_activity(a.activity_id)
        elif kind == "ActivityTaskCompleted":
            a = event.activity_task_completed_event_attributes
            if a.scheduled_event_id in nodes:
                _keep(rendered, nodes[a.scheduled_event_id], decode(a.result))
        elif kind == "ActivityTaskFailed":
            a = event.activity_task_failed_event_attributes
            failure = a.failure
            if a.scheduled_event_id in nodes and failure.HasField("application_failure_info"):
                _keep(rendered, nodes[a.scheduled_event_id], decode(failure.application_failure_info.details))
    return rendered


def _keep(into: dict[str, Any], node_id: str, reported: Any) -> None:
    if isinstance(reported, dict) and reported.get("rendered") is not None:
        into[node_id] = reported["rendered"]


async def fetch(client: Client, workflow_id: str, run_id: str | None = None) -> WorkflowHistory:
    """The history with its payloads decoded by the client's codec (Temporal
    holds them encrypted, core/payload_codec.py): what `decode` and `summary`
    read afterwards with the plain payload converter."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    for event in history.events:
        await decoded(client, event)
    return history


async def decoded(client: Client, event: HistoryEvent) -> HistoryEvent:
    """One event with its payloads decoded in place (and returned)."""
    await decode_message(event, client.data_converter.payload_codec)
    return event
