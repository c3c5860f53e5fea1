"""workflows.compiler.compile_definition: a valid definition becomes a Plan."""

from __future__ import annotations

import pytest

from workflows.compiler import compile_definition
from workflows.plan import GraphInput, Plan, RetryPlan
from workflows.registry import REGISTRY
from workflows.validation import DefinitionInvalid


def node(id, type="transform", config=None, **extra):
    return {"id": id, "type": type, "config": {"output": 1} if config is None else config, **extra}


def edge(source, target, when=None):
    return {"from": source, "to": target, **({"when": when} if when is not None else {})}


def by_id(plan: Plan):
    return {n.id: n for n in plan.nodes}


DEFAULT_RETRY = dict(initial_interval_s=1.0, backoff=2.0, max_interval_s=60.0)


@pytest.mark.parametrize("type_, config, timeout, attempts, kind, activity", [
    ("transform", {"output": 1}, 30.0, 3, "activity", "node.transform"),
    ("condition", {"expression": "{{ true }}"}, 30.0, 3, "activity", "node.condition"),
    ("http_request", {"url": "http://h"}, 60.0, 3, "activity", "node.http_request"),
    ("llm", {"prompt": "p"}, 180.0, 3, "activity", "node.llm"),
    ("shell", {"argv": ["true"]}, 3600.0, 1, "activity", "node.shell"),
    ("delay", {"seconds": 1}, 60.0, 1, "workflow", None),
    ("sub_workflow", {"definition": {"name": "c", "nodes": [node("x")]}}, 86400.0, 1, "workflow", None),
])
def test_defaults_resolved_from_node_type(type_, config, timeout, attempts, kind, activity):
    plan = compile_definition({"name": "wf", "nodes": [node("a", type_, config)]}, REGISTRY)
    (only,) = plan.nodes
    assert only.type == type_
    assert only.kind == kind
    assert only.activity == activity
    assert only.timeout_s == timeout
    assert only.retry == RetryPlan(max_attempts=attempts, **DEFAULT_RETRY)
    assert only.continue_on_error is False
    assert only.config == config


def test_explicit_retry_and_timeout_kept():
    raw = {"name": "wf", "nodes": [
        node("a", "http_request", {"url": "http://h"},
             retry={"max_attempts": 7, "initial_interval_s": 0.5, "backoff": 1.5, "max_interval_s": 9},
             timeout_s=12.5, continue_on_error=True),
    ]}
    (only,) = compile_definition(raw, REGISTRY).nodes
    assert only.retry == RetryPlan(max_attempts=7, initial_interval_s=0.5, backoff=1.5, max_interval_s=9.0)
    assert only.timeout_s == 12.5
    assert only.continue_on_error is True


def test_partial_retry_fills_spec_defaults():
    raw = {"name": "wf", "nodes": [node("a", "shell", {"argv": ["x"]}, retry={"max_attempts": 4})]}
    (only,) = compile_definition(raw, REGISTRY).nodes
    assert only.retry == RetryPlan(max_attempts=4, **DEFAULT_RETRY)


def test_upstream_reads_and_topological_order():
    raw = {
        "name": "wf",
        "inputs": {"type": "object"},
        "nodes": [
            node("c", config={"output": "{{ nodes.a.output }} {{ nodes['b'].output }}"}),
            node("b", "http_request", {"url": "http://h/{{ nodes.a.output.id }}", "headers": {"k": "{{ inputs.k }}"}}),
            node("a", "shell", {"argv": ["true"]}),
            node("s", "delay", {"seconds": 1}),
        ],
        "edges": [edge("a", "b"), edge("b", "c"), edge("a", "c", when="nodes.a.output")],
    }
    plan = compile_definition(raw, REGISTRY, workflow_id="wf_9", version=4, output_cap_bytes=1000)
    assert [n.id for n in plan.nodes] == ["a", "b", "c", "s"]  # earliest-listed ready node first
    nodes = by_id(plan)
    assert nodes["a"].upstream == [] and nodes["a"].reads == []
    assert nodes["s"].upstream == [] and nodes["s"].reads == []
    assert nodes["b"].upstream == ["a"] and nodes["b"].reads == ["a"]
    assert nodes["c"].upstream == ["b", "a"]
    assert nodes["c"].reads == ["a", "b"]
    assert [(e.source, e.target, e.when) for e in plan.edges] == [
        ("a", "b", None), ("b", "c", None), ("a", "c", "nodes.a.output")]
    assert plan.name == "wf"
    assert (plan.workflow_id, plan.version, plan.output_cap_bytes) == ("wf_9", 4, 1000)
    assert plan.inputs_schema == {"type": "object"}
    assert plan.format == 1


def test_reads_can_include_transitive_ancestors():
    raw = {"name": "wf", "nodes": [node("a"), node("b"), node("c", config={"output": "{{ nodes.a.output }}"})],
           "edges": [edge("a", "b"), edge("b", "c")]}
    c = by_id(compile_definition(raw, REGISTRY))["c"]
    assert c.upstream == ["b"]
    assert c.reads == ["a"]


def test_config_kept_raw_templates_unrendered():
    cfg = {"url": "http://h", "headers": {"Authorization": "Bearer {{ secrets.TOKEN }}"}}
    (only,) = compile_definition({"name": "wf", "nodes": [node("a", "http_request", cfg)]}, REGISTRY).nodes
    assert only.config == cfg


def test_plan_defaults():
    plan = compile_definition({"name": "wf", "nodes": [node("a")]}, REGISTRY)
    assert (plan.workflow_id, plan.version, plan.inputs_schema, plan.output_cap_bytes) == (None, None, None, 262144)
    assert plan.edges == []


def test_plan_round_trips_as_workflow_input():
    raw = {"name": "wf", "nodes": [node("a"), node("s", "sub_workflow", {"definition": {
        "name": "child", "nodes": [node("x")]}})], "edges": [edge("a", "s")]}
    plan = compile_definition(raw, REGISTRY)
    again = GraphInput.model_validate_json(GraphInput(plan=plan, execution_id="e1").model_dump_json())
    assert again.plan == plan


def test_sub_workflow_inline_child_compiled():
    child = {"name": "child", "nodes": [node("y", config={"output": "{{ nodes.x.output }}"}), node("x", "llm", {"prompt": "p"})],
             "edges": [edge("x", "y")]}
    raw = {"name": "wf", "nodes": [node("a"), node("s", "sub_workflow", {"definition": child, "inputs": {"v": 1}})],
           "edges": [edge("a", "s")]}
    plan = compile_definition(raw, REGISTRY, output_cap_bytes=5000)
    s = by_id(plan)["s"]
    assert s.kind == "workflow" and s.activity is None
    assert s.child is not None
    assert s.child.name == "child"
    assert [n.id for n in s.child.nodes] == ["x", "y"]
    assert by_id(s.child)["x"].timeout_s == 180.0
    assert by_id(s.child)["y"].reads == ["x"]
    assert s.child.output_cap_bytes == 5000
    assert s.child.workflow_id is None
    assert by_id(plan)["a"].child is None


def test_sub_workflow_inline_nested_twice():
    inner = {"name": "inner", "nodes": [node("z")]}
    middle = {"name": "middle", "nodes": [node("m", "sub_workflow", {"definition": inner})]}
    plan = compile_definition({"name": "outer", "nodes": [node("o", "sub_workflow", {"definition": middle})]}, REGISTRY)
    assert plan.nodes[0].child.nodes[0].child.name == "inner"
    assert plan.nodes[0].child.nodes[0].child.nodes[0].id == "z"


REF = {"name": "wf", "nodes": [node("a"), node("s", "sub_workflow", {"workflow_id": "wf_child", "version": 3})],
       "edges": [edge("a", "s")]}


def test_reference_without_resolver_is_unresolved():
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(REF, REGISTRY)
    assert [i.code for i in info.value.issues] == ["unresolved_workflow"]
    assert info.value.issues[0].message == "saved workflows can only be referenced through the API"


def test_unresolved_path_uses_node_index():
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(REF, REGISTRY)
    assert [(i.code, i.path) for i in info.value.issues] == [("unresolved_workflow", "$.nodes[1].config.workflow_id")]


def test_reference_with_resolver_gives_child_plan():
    calls = []

    def resolver(workflow_id, version):
        calls.append((workflow_id, version))
        return {"name": "child", "nodes": [node("q", "delay", {"seconds": 2})]}

    plan = compile_definition(REF, REGISTRY, resolver=resolver)
    assert calls == [("wf_child", 3)]
    child = by_id(plan)["s"].child
    assert child is not None
    assert (child.name, child.workflow_id, child.version) == ("child", "wf_child", 3)
    assert [(n.id, n.kind, n.timeout_s, n.retry.max_attempts) for n in child.nodes] == [("q", "workflow", 60.0, 1)]


def test_reference_without_version_passes_none():
    calls = []
    raw = {"name": "wf", "nodes": [node("s", "sub_workflow", {"workflow_id": "w"})]}
    plan = compile_definition(raw, REGISTRY, resolver=lambda w, v: calls.append((w, v)) or {
        "name": "c", "nodes": [node("x")]})
    assert calls == [("w", None)]
    assert plan.nodes[0].child.version is None


@pytest.mark.parametrize("exc", [LookupError("gone"), KeyError("gone")])
def test_resolver_lookup_error_is_unresolved(exc):
    def resolver(workflow_id, version):
        raise exc

    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(REF, REGISTRY, resolver=resolver)
    assert [i.code for i in info.value.issues] == ["unresolved_workflow"]
    assert "gone" in info.value.issues[0].message


def test_resolver_returning_invalid_definition():
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(REF, REGISTRY, resolver=lambda w, v: {"name": "c", "nodes": [node("x", "nope", {})]})
    assert [i.code for i in info.value.issues] == ["unknown_node_type"]


def test_self_referencing_workflow_stops():
    loop = {"name": "loop", "nodes": [node("s", "sub_workflow", {"workflow_id": "loop"})]}
    calls = []

    def resolver(workflow_id, version):
        calls.append(workflow_id)
        return loop

    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(loop, REGISTRY, resolver=resolver)
    assert [i.code for i in info.value.issues] == ["invalid_config"]
    assert "nest too deep" in info.value.issues[0].message
    assert len(calls) == 8


def test_invalid_definition_raises_with_issues():
    raw = {"name": "wf", "nodes": [node("a"), node("a"), node("b", "shell", {"argv": []})],
           "edges": [edge("a", "ghost")]}
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(raw, REGISTRY)
    assert sorted((i.code, i.path) for i in info.value.issues) == [
        ("duplicate_node_id", "$.nodes[1].id"),
        ("edge_unknown_target", "$.edges[0].to"),
        ("invalid_config", "$.nodes[2].config.argv"),
    ]
    assert "$.nodes[1].id: node id `a` is already used by nodes[0]" in str(info.value)


def test_invalid_cycle_raises():
    raw = {"name": "wf", "nodes": [node("a"), node("b")], "edges": [edge("a", "b"), edge("b", "a")]}
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(raw, REGISTRY)
    assert sorted(i.code for i in info.value.issues) == ["cycle", "unreachable_node", "unreachable_node"]


def test_invalid_inline_child_raises_with_nested_path():
    raw = {"name": "wf", "nodes": [node("s", "sub_workflow", {"definition": {"name": "c", "nodes": []}})]}
    with pytest.raises(DefinitionInvalid) as info:
        compile_definition(raw, REGISTRY)
    assert [(i.code, i.path) for i in info.value.issues] == [("empty_graph", "$.nodes[0].config.definition.nodes")]
