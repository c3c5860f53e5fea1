"""Issue 13, encrypted payloads: what the platform writes to Temporal is
ciphertext. Read back raw, with a client that has no codec, a run's history
holds no trace of a planted value; the platform's converter reads it (and
replays it); after a key rotation old runs still decode and new ones use the
new key."""

from __future__ import annotations

import base64
import uuid

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from core.payload_codec import KEY_ID, decode_message
from core.settings import Settings
from core.temporal import DATA_CONVERTER, connect
from tests.integration.graphs import graph, node, start
from worker.app import build_worker
from workflows.graph_workflow import GraphWorkflow
from workflows.runner import workflow_runner

pytestmark = pytest.mark.integration


def key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(uuid.uuid4().bytes * 2).decode()}"


def planted() -> str:
    return f"PLANTED-{uuid.uuid4().hex}"


def echo(name: str):
    return graph([node("a", "transform", {"output": {"seen": "{{ inputs.v }}"}}),
                  node("b", "transform", {"output": "{{ nodes.a.output.seen }}!"})], [("a", "b")], name=name)


def keyed(settings: Settings, *keys: str) -> Settings:
    return settings.model_copy(update={"payload_keys": list(keys)})


async def run_with(settings: Settings, value: str):
    client = await connect(settings)
    queue = f"enc-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=queue):
        handle = await start(client, queue, echo(f"graph of {value}"), {"v": value})
        result = await handle.result()
    return client, handle, result


async def raw_history(settings: Settings, workflow_id: str) -> WorkflowHistory:
    """The history as Temporal stores it: a client with the SDK's default converter and no codec."""
    plain = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
    return await plain.get_workflow_handle(workflow_id).fetch_history()


def every_byte(history: WorkflowHistory) -> bytes:
    """The protobuf bytes (payload data appear there as they are) and the JSON form."""
    return b"".join(e.SerializeToString() for e in history.events) + history.to_json().encode()


async def test_raw_history_holds_no_plaintext_of_a_planted_value(settings):
    value = planted()
    on = keyed(settings, key("it-1"))
    client, handle, result = await run_with(on, value)
    assert result.nodes["b"].output == f"{value}!"

    raw = await raw_history(on, handle.id)
    # The one place it shows: a CLI run's AgenticWorkflowId search attribute is
    # `adhoc:<graph name>`, and search attributes stay plaintext for visibility
    # queries (docs/compliance.md). Inputs, outputs, memo and summaries do not.
    start = raw.events[0].workflow_execution_started_event_attributes
    assert value in start.search_attributes.indexed_fields["AgenticWorkflowId"].data.decode()
    start.ClearField("search_attributes")
    assert value.encode() not in every_byte(raw)
    # Every payload is encrypted, but search attributes and the SDK's own patch
    # markers (`workflow.patched` ids, written by the SDK's core without the codec).
    payloads = [p for e in raw.events if not e.HasField("marker_recorded_event_attributes") for p in _payloads(e)]
    assert payloads and {p.metadata.get(KEY_ID) for p in payloads} == {b"it-1"}, \
        [p for p in payloads if p.metadata.get(KEY_ID) != b"it-1"]

    # The control: the value did reach history, and the platform's codec reads it.
    for event in raw.events:
        await decode_message(event, client.data_converter.payload_codec)
    assert value.encode() in every_byte(raw)


async def test_encrypted_histories_replay_with_the_platform_converter_only(settings):
    on = keyed(settings, key("it-2"))
    client, handle, _ = await run_with(on, planted())
    history = await raw_history(on, handle.id)
    await Replayer(workflows=[GraphWorkflow], data_converter=client.data_converter,
                   workflow_runner=workflow_runner()).replay_workflow(history)
    with pytest.raises(Exception):  # noqa: B017 - without the codec the input is unreadable
        await Replayer(workflows=[GraphWorkflow], data_converter=DATA_CONVERTER,
                       workflow_runner=workflow_runner()).replay_workflow(history)


async def test_after_rotation_old_runs_decode_and_new_runs_use_the_new_key(settings):
    old_key, new_key = key("old"), key("new")
    value = planted()
    _, old_handle, _ = await run_with(keyed(settings, old_key), value)

    rotated = keyed(settings, new_key, old_key)
    client = await connect(rotated)
    assert (await client.get_workflow_handle(old_handle.id).result())["nodes"]["b"]["output"] == f"{value}!"
    _, new_handle, new_result = await run_with(rotated, planted())
    assert new_result.status == "succeeded"
    new_ids = {p.metadata.get(KEY_ID) for e in (await raw_history(rotated, new_handle.id)).events
               if not e.HasField("marker_recorded_event_attributes") for p in _payloads(e)}
    assert new_ids == {b"new"}

    dropped = await connect(keyed(settings, new_key))  # the old key retired too early
    with pytest.raises(Exception, match="'old'"):
        await dropped.get_workflow_handle(old_handle.id).result()


def _payloads(message):
    """Every Payload inside a protobuf message but search attributes (plaintext by design)."""
    from temporalio.api.common.v1 import Payload

    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE or field.message_type.name == "SearchAttributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values()) if field.message_type.fields_by_name["value"].type == field.TYPE_MESSAGE \
                else []
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                yield item
            else:
                yield from _payloads(item)
