"""Helpers to build and run graphs in integration tests."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError

from core.launch import start_graph
from core.payload_codec import decode_message
from core.settings import Settings
from core.temporal import data_converter
from workflows import signatures
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.plan import DebugCommand, GraphInput
from workflows.registry import REGISTRY


def graph(nodes: list[dict], edges: list[tuple] | list[dict] = (), **extra) -> dict[str, Any]:
    edge_dicts = [e if isinstance(e, dict) else {"from": e[0], "to": e[1], **({"when": e[2]} if len(e) > 2 else {})}
                  for e in edges]
    return {"name": extra.pop("name", "test graph"), "nodes": nodes, "edges": edge_dicts, **extra}


def node(node_id: str, node_type: str, config: dict | None = None, **extra) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config or {}, **extra}


async def start(client, task_queue: str, definition: dict, inputs: dict | None = None, **kwargs):
    plan = compile_definition(definition, REGISTRY)
    return await start_graph(client, plan, inputs or {}, task_queue=task_queue, **kwargs)


async def run(client, task_queue: str, definition: dict, inputs: dict | None = None, **kwargs):
    handle = await start(client, task_queue, definition, inputs, **kwargs)
    return await handle.result()


async def failed_summary(client, task_queue, definition, inputs=None) -> dict:
    with pytest.raises(WorkflowFailureError) as caught:
        await run(client, task_queue, definition, inputs)
    summary = summary_of(caught.value.cause)
    assert summary is not None, caught.value.cause
    return summary


async def history_text(handle) -> str:
    """The history as JSON plus every payload decoded: decrypted by the
    platform's codec (core/payload_codec.py), then its data read (base64 in JSON)."""
    history = await handle.fetch_history()
    codec = data_converter(Settings()).payload_codec
    for event in history.events:
        await decode_message(event, codec)
    raw = history.to_json()
    decoded: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            if "metadata" in value and isinstance(value.get("data"), str):
                decoded.append(base64.b64decode(value["data"]).decode("utf-8", errors="replace"))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(raw))
    return raw + "\n".join(decoded)


def launch(**fields) -> GraphInput:
    """A GraphInput signed as the API signs it (the worker refuses unsigned ones)."""
    return signatures.signed(GraphInput(**fields), "launch")


def command(model, kind: str, workflow_id: str):
    """A decision or debug command signed for one workflow, as the API sends it."""
    model = model.model_copy(update={"issued_at": datetime.now(UTC).isoformat()})
    return signatures.signed(model, kind, workflow_id=workflow_id)


def debug_command(handle, mode: str) -> DebugCommand:
    return command(DebugCommand(mode=mode), "debug", handle.id)
