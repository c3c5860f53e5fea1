"""workflows/reuse.py: which inputs a config reads, input digests, and which
recorded results a rerun may reuse (issue 8.8)."""

from __future__ import annotations

import pytest

from workflows.compiler import compile_definition
from workflows.registry import REGISTRY
from workflows.reuse import ALL_INPUTS, input_digest, inputs_read, reusable


@pytest.mark.parametrize(("config", "expected"), [
    ({"output": 1}, frozenset()),
    ({"output": "{{ inputs.a }}"}, frozenset({"a"})),
    ({"output": {"x": ["{{ inputs['b'] }}", "{{ inputs.a + 1 }}"]}}, frozenset({"a", "b"})),
    ({"output": "{% if inputs.flag %}{{ inputs.c }}{% endif %}"}, frozenset({"flag", "c"})),
    ({"output": "{{ inputs }}"}, ALL_INPUTS),
    ({"output": "{{ inputs[inputs.key] }}"}, ALL_INPUTS),
    ({"output": "{{ inputs | tojson }}"}, ALL_INPUTS),
    ({"output": "{{ inputs.items() | list }}"}, frozenset({"items"})),  # a key lookup first, in the sandbox too
])
def test_inputs_read(config, expected):
    assert inputs_read(config) == expected


def plan():
    return compile_definition({"name": "p", "nodes": [
        {"id": "fetch", "type": "transform", "config": {"output": "static"}},
        {"id": "amount", "type": "transform", "config": {"output": "{{ inputs.amount }}"}},
        {"id": "ok", "type": "approval", "config": {"approvers": ["user:carol"]}},
        {"id": "sum", "type": "transform", "config": {"output": "{{ nodes.amount.output }}"}},
        {"id": "pay", "type": "transform", "config": {"output": "{{ nodes.sum.output }}"}},
    ], "edges": [{"from": "fetch", "to": "amount"}, {"from": "amount", "to": "ok"}, {"from": "ok", "to": "sum"},
                 {"from": "sum", "to": "pay"}]}, REGISTRY)


def recorded(p, inputs):
    by_id = {n.id: n for n in p.nodes}
    out = {"fetch": "static", "amount": inputs["amount"], "ok": {"approved": True}, "sum": inputs["amount"]}
    rec = {}
    for nid, output in out.items():
        upstream = {dep: {"output": out[dep], "status": "succeeded", "error": None} for dep in by_id[nid].reads}
        rec[nid] = {"state": "succeeded", "output": output,
                    "input_digest": input_digest(by_id[nid], inputs, upstream)}
    return rec


def test_unchanged_inputs_reuse_everything_but_the_approval_and_what_follows_it():
    p = plan()
    assert reusable(p, ["fetch", "amount", "ok", "sum"], recorded(p, {"amount": 1}), {"amount": 1}) \
        == ["fetch", "amount"]


def test_a_changed_input_runs_the_nodes_that_read_it_and_everything_after():
    p = plan()
    assert reusable(p, ["fetch", "amount", "ok", "sum"], recorded(p, {"amount": 1}), {"amount": 2}) == ["fetch"]


def test_an_input_the_config_does_not_read_changes_nothing():
    p = plan()
    rec = recorded(p, {"amount": 1})
    assert reusable(p, ["fetch", "amount"], rec, {"amount": 1, "note": "new"}) == ["fetch", "amount"]


def test_a_record_without_digest_or_from_another_config_is_not_reused():
    p = plan()
    rec = recorded(p, {"amount": 1})
    rec["fetch"].pop("input_digest")
    assert reusable(p, ["fetch", "amount"], rec, {"amount": 1}) == []
    rec = recorded(p, {"amount": 1})
    rec["fetch"]["input_digest"] = "0" * 64
    assert reusable(p, ["fetch"], rec, {"amount": 1}) == []
