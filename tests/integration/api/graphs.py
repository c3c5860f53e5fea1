"""Definitions the API tests save."""

from __future__ import annotations


def three_nodes(name: str = "three", tag: str = "demo") -> dict:
    return {
        "name": name,
        "tags": [tag],
        "inputs": {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]},
        "nodes": [
            {"id": "greet", "type": "transform", "config": {"output": {"text": "Hello {{ inputs.who }}"}}},
            {"id": "shout", "type": "transform", "config": {"output": "{{ nodes.greet.output.text | upper }}"}},
            {"id": "done", "type": "transform", "config": {"output": {"final": "{{ nodes.shout.output }}"}}},
        ],
        "edges": [{"from": "greet", "to": "shout"}, {"from": "shout", "to": "done"}],
    }


def slow(label: str, seconds: float = 2.0) -> dict:
    """A durable timer, then a node whose output names the version."""
    return {
        "name": f"slow {label}",
        "nodes": [
            {"id": "wait", "type": "delay", "config": {"seconds": seconds}},
            {"id": "mark", "type": "transform", "config": {"output": label}},
        ],
        "edges": [{"from": "wait", "to": "mark"}],
    }


SHELL = {
    "name": "shell",
    "nodes": [{"id": "sh", "type": "shell", "config": {"argv": ["echo", "hi"]}}],
    "edges": [],
}
