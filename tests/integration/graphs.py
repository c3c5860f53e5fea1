"""Helpers to build and run graphs in integration tests."""

from __future__ import annotations

from typing import Any

from activities.registry import REGISTRY
from core.executions import start_graph
from workflows.compiler import compile_definition


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
