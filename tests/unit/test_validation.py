"""validate_definition / validate_run_inputs: every invalid graph is reported with
the exact (code, path) pairs, all problems at once; valid graphs report nothing."""

from __future__ import annotations

import copy

import pytest

from workflows.dsl import WorkflowDefinition
from workflows.expressions import ExpressionError, analyze
from workflows.registry import REGISTRY
from workflows.validation import MAX_SUB_WORKFLOW_DEPTH, validate_definition, validate_run_inputs


def node(id: str, type: str = "transform", config: dict | None = None, **extra) -> dict:
    return {"id": id, "type": type, "config": {"output": 1} if config is None else config, **extra}


def edge(source: str, target: str, when: str | None = None) -> dict:
    out = {"from": source, "to": target}
    if when is not None:
        out["when"] = when
    return out


def graph(nodes=None, edges=None, **top) -> dict:
    out = {"name": "wf", **top}
    if nodes is not None:
        out["nodes"] = nodes
    if edges is not None:
        out["edges"] = edges
    return out


def problems(raw) -> list[tuple[str, str]]:
    """Sorted (code, path) pairs; a sorted list, not a set, so duplicates count."""
    definition, issues = validate_definition(raw, REGISTRY)
    if issues:
        assert definition is None, "an invalid graph must not come back parsed"
    return sorted((i.code, i.path) for i in issues)


def messages(raw) -> dict[tuple[str, str], str]:
    _, issues = validate_definition(raw, REGISTRY)
    return {(i.code, i.path): i.message for i in issues}


# --------------------------------------------------------------------------
# Invalid graphs: (id, definition, exact sorted (code, path) pairs)
# --------------------------------------------------------------------------

INVALID = [
    (
        "duplicate_node_ids",
        graph([node("a"), node("b"), node("a")], [edge("a", "b")]),
        [("duplicate_node_id", "$.nodes[2].id")],
    ),
    (
        "unknown_node_type",
        graph([node("a", "teleport", {})]),
        [("unknown_node_type", "$.nodes[0].type")],
    ),
    (
        "http_request_without_url",
        graph([node("a", "http_request", {"method": "GET"})]),
        [("invalid_config", "$.nodes[0].config.url")],
    ),
    (
        "http_request_bad_timeout_and_extra_field",
        graph([node("a", "http_request", {"url": "http://h", "timeout_s": 0, "bogus": 1})]),
        [("invalid_config", "$.nodes[0].config.bogus"), ("invalid_config", "$.nodes[0].config.timeout_s")],
    ),
    (
        "http_request_bad_method",
        graph([node("a", "http_request", {"url": "http://h", "method": "BREW"})]),
        [("invalid_config", "$.nodes[0].config.method")],
    ),
    (
        "shell_argv_empty",
        graph([node("a", "shell", {"argv": []})]),
        [("invalid_config", "$.nodes[0].config.argv")],
    ),
    (
        "shell_argv_missing",
        graph([node("a", "shell", {})]),
        [("invalid_config", "$.nodes[0].config.argv")],
    ),
    (
        "llm_temperature_5",
        graph([node("a", "llm", {"prompt": "hi", "temperature": 5})]),
        [("invalid_config", "$.nodes[0].config.temperature")],
    ),
    (
        "llm_empty_prompt",
        graph([node("a", "llm", {"prompt": ""})]),
        [("invalid_config", "$.nodes[0].config.prompt")],
    ),
    (
        "transform_without_output",
        graph([node("a", "transform", {})]),
        [("invalid_config", "$.nodes[0].config.output")],
    ),
    (
        "delay_without_seconds",
        graph([node("a", "delay", {})]),
        [("invalid_config", "$.nodes[0].config.seconds")],
    ),
    (
        "edge_from_missing_node",
        graph([node("a")], [edge("ghost", "a")]),
        [("edge_unknown_source", "$.edges[0].from")],
    ),
    (
        "edge_to_missing_node",
        graph([node("a")], [edge("a", "ghost")]),
        [("edge_unknown_target", "$.edges[0].to")],
    ),
    (
        "edge_between_two_missing_nodes",
        graph([node("a")], [edge("x", "y")]),
        [("edge_unknown_source", "$.edges[0].from"), ("edge_unknown_target", "$.edges[0].to")],
    ),
    (
        "edge_missing_to_field",
        graph([node("a")], [{"from": "a"}]),
        [("invalid_field", "$.edges[0].to")],
    ),
    (
        "duplicate_edge",
        graph([node("a"), node("b")], [edge("a", "b"), edge("a", "b", when="true")]),
        [("duplicate_edge", "$.edges[1]")],
    ),
    (
        "self_loop",
        graph([node("a"), node("b")], [edge("a", "b"), edge("b", "b")]),
        [("cycle", "$.nodes[1]")],
    ),
    (
        "cycle_reachable_from_entry",
        graph([node("s"), node("a"), node("b")], [edge("s", "a"), edge("a", "b"), edge("b", "a")]),
        [("cycle", "$.nodes[1]")],
    ),
    (
        "cycle_island_is_also_unreachable",
        graph([node("s"), node("a"), node("b")], [edge("a", "b"), edge("b", "a")]),
        [("cycle", "$.nodes[1]"), ("unreachable_node", "$.nodes[1]"), ("unreachable_node", "$.nodes[2]")],
    ),
    (
        "whole_graph_is_a_cycle",
        graph([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c"), edge("c", "a")]),
        [("cycle", "$.nodes[0]"), ("unreachable_node", "$.nodes[0]"),
         ("unreachable_node", "$.nodes[1]"), ("unreachable_node", "$.nodes[2]")],
    ),
    (
        "expression_reads_node_not_upstream",
        graph([node("a"), node("b", config={"output": "{{ nodes.c.output }}"}), node("c")],
              [edge("a", "b"), edge("a", "c")]),
        [("expression_not_upstream", "$.nodes[1].config.output")],
    ),
    (
        "expression_reads_downstream_node",
        graph([node("a", config={"output": {"x": ["{{ nodes['b'].output }}"]}}), node("b")], [edge("a", "b")]),
        [("expression_not_upstream", "$.nodes[0].config.output.x[0]")],
    ),
    (
        "expression_reads_itself",
        graph([node("a", config={"output": "{{ nodes.a.output }}"})]),
        [("expression_not_upstream", "$.nodes[0].config.output")],
    ),
    (
        "expression_unknown_node",
        graph([node("a", config={"output": "{{ nodes.ghost.output }}"})]),
        [("expression_unknown_node", "$.nodes[0].config.output")],
    ),
    (
        "expression_unknown_root_name",
        graph([node("a", config={"output": "{{ env.HOME }} and {{ os }}"})]),
        [("expression_unknown_name", "$.nodes[0].config.output"),
         ("expression_unknown_name", "$.nodes[0].config.output")],
    ),
    (
        "expression_syntax_error",
        graph([node("a", "http_request", {"url": "http://h/{{ inputs.x + }}"})]),
        [("expression_syntax", "$.nodes[0].config.url")],
    ),
    (
        "expression_unclosed",
        graph([node("a", config={"output": {"k": "{{ inputs.x"}})]),
        [("expression_syntax", "$.nodes[0].config.output.k")],
    ),
    (
        "expression_dynamic_node_access",
        graph([node("a", config={"output": "{{ nodes[inputs.which].output }}"})]),
        [("expression_dynamic_node", "$.nodes[0].config.output")],
    ),
    (
        "expression_sandbox_escape",
        graph([node("a", config={"output": "{{ ''.__class__.__mro__ }}"})]),
        [("expression_unsafe", "$.nodes[0].config.output"), ("expression_unsafe", "$.nodes[0].config.output")],
    ),
    (
        "expression_private_item_on_nodes",
        graph([node("a", config={"output": "{{ nodes['__class__'] }}"})]),
        [("expression_unknown_node", "$.nodes[0].config.output"), ("expression_unsafe", "$.nodes[0].config.output")],
    ),
    (
        "edge_when_syntax_error",
        graph([node("a"), node("b")], [edge("a", "b", when="nodes.a.output ==")]),
        [("expression_syntax", "$.edges[0].when")],
    ),
    (
        "edge_when_reads_node_not_upstream_of_target",
        graph([node("a"), node("b"), node("c")], [edge("a", "b"), edge("a", "c", when="nodes.b.output")]),
        [("expression_not_upstream", "$.edges[1].when")],
    ),
    (
        "secret_in_edge_when",
        graph([node("a"), node("b")], [edge("a", "b", when="secrets.TOKEN == 'x'")]),
        [("secret_not_allowed", "$.edges[0].when")],
    ),
    (
        "secret_in_edge_when_braced",
        graph([node("a"), node("b")], [edge("a", "b", when="{{ secrets['TOKEN'] }}")]),
        [("secret_not_allowed", "$.edges[0].when")],
    ),
    (
        "secret_in_delay_seconds",
        graph([node("d", "delay", {"seconds": "{{ secrets.WAIT }}"})]),
        [("secret_not_allowed", "$.nodes[0].config.seconds")],
    ),
    (
        "secret_in_sub_workflow_inputs",
        graph([node("s", "sub_workflow", {"definition": graph([node("c")]),
                                          "inputs": {"token": "Bearer {{ secrets.TOKEN }}"}})]),
        [("secret_not_allowed", "$.nodes[0].config.inputs.token")],
    ),
    (
        "empty_graph",
        graph([]),
        [("empty_graph", "$.nodes")],
    ),
    (
        "no_nodes_key",
        graph(),
        [("empty_graph", "$.nodes")],
    ),
    (
        "nodes_not_a_list",
        graph({"a": node("a")}),
        [("empty_graph", "$.nodes"), ("invalid_field", "$.nodes")],
    ),
    (
        "definition_not_an_object",
        ["not", "a", "definition"],
        [("invalid_field", "$")],
    ),
    (
        "unknown_top_level_field",
        graph([node("a")], owner="me"),
        [("invalid_field", "$.owner")],
    ),
    (
        "missing_name",
        {"nodes": [node("a")]},
        [("invalid_field", "$.name")],
    ),
    (
        "empty_name",
        {"name": "", "nodes": [node("a")]},
        [("invalid_field", "$.name")],
    ),
    (
        "unknown_node_field",
        graph([node("a", retries=3)]),
        [("invalid_field", "$.nodes[0].retries")],
    ),
    (
        "bad_node_id_pattern",
        graph([node("1st"), node("has-dash"), node("ok")]),
        [("invalid_field", "$.nodes[0].id"), ("invalid_field", "$.nodes[1].id")],
    ),
    (
        "node_id_too_long",
        graph([node("a" * 65)]),
        [("invalid_field", "$.nodes[0].id")],
    ),
    (
        "bad_retry_and_timeout",
        graph([node("a", retry={"max_attempts": 0, "backoff": 0.5}, timeout_s=0)]),
        [("invalid_field", "$.nodes[0].retry.backoff"), ("invalid_field", "$.nodes[0].retry.max_attempts"),
         ("invalid_field", "$.nodes[0].timeout_s")],
    ),
    (
        "invalid_inputs_json_schema",
        graph([node("a")], inputs={"type": "nope"}),
        [("invalid_inputs_schema", "$.inputs.type")],
    ),
    (
        "invalid_nested_inputs_json_schema",
        graph([node("a")], inputs={"type": "object", "properties": {"n": {"type": 5}}}),
        [("invalid_inputs_schema", "$.inputs.properties.n.type")],
    ),
    (
        "inputs_schema_not_an_object",
        graph([node("a")], inputs=["string"]),
        [("invalid_field", "$.inputs")],
    ),
    (
        "sub_workflow_nested_definition_errors",
        graph([node("a"),
               node("s", "sub_workflow", {"definition": graph(
                   [node("x", "teleport", {}), node("x"), node("y", config={"output": "{{ nodes.zz.output }}"})],
                   [edge("x", "nowhere")])})],
              [edge("a", "s")]),
        [("duplicate_node_id", "$.nodes[1].config.definition.nodes[1].id"),
         ("edge_unknown_target", "$.nodes[1].config.definition.edges[0].to"),
         ("expression_unknown_node", "$.nodes[1].config.definition.nodes[2].config.output"),
         ("unknown_node_type", "$.nodes[1].config.definition.nodes[0].type")],
    ),
    (
        "sub_workflow_nested_empty_definition",
        graph([node("s", "sub_workflow", {"definition": {"name": "child"}})]),
        [("empty_graph", "$.nodes[0].config.definition.nodes")],
    ),
    (
        "sub_workflow_twice_nested",
        graph([node("s", "sub_workflow", {"definition": graph([
            node("t", "sub_workflow", {"definition": graph([node("u", "llm", {"prompt": "p", "temperature": -1})])}),
        ])})]),
        [("invalid_config", "$.nodes[0].config.definition.nodes[0].config.definition.nodes[0].config.temperature")],
    ),
    (
        "sub_workflow_both_definition_and_reference",
        graph([node("s", "sub_workflow", {"definition": graph([node("c")]), "workflow_id": "wf_1"})]),
        [("invalid_config", "$.nodes[0].config")],
    ),
    (
        "sub_workflow_neither_definition_nor_reference",
        graph([node("s", "sub_workflow", {"inputs": {}})]),
        [("invalid_config", "$.nodes[0].config")],
    ),
    (
        "several_problems_at_once",
        graph(
            [node("a"), node("a"), node("b", "nope", {}), node("c", "shell", {"argv": []}),
             node("d", config={"output": "{{ nodes.e.output }} {{ inputs.x + }}"}), node("e"),
             node("f", config={"output": "{{ nodes.ghost.output }}"})],
            [edge("a", "missing"), edge("a", "e"), edge("a", "e"), edge("e", "f"), edge("f", "e"),
             edge("a", "d", when="secrets.K")],
            extra=True,
            inputs={"type": 12},
        ),
        [("cycle", "$.nodes[5]"),
         ("duplicate_edge", "$.edges[2]"),
         ("duplicate_node_id", "$.nodes[1].id"),
         ("edge_unknown_target", "$.edges[0].to"),
         ("expression_syntax", "$.nodes[4].config.output"),
         ("expression_unknown_node", "$.nodes[6].config.output"),
         ("invalid_config", "$.nodes[3].config.argv"),
         ("invalid_field", "$.extra"),
         ("invalid_inputs_schema", "$.inputs.type"),
         ("secret_not_allowed", "$.edges[5].when"),
         ("unknown_node_type", "$.nodes[2].type")],
    ),
]


@pytest.mark.parametrize("raw, expected", [(r, e) for _, r, e in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_graph_reports_exact_codes_and_paths(raw, expected):
    assert problems(raw) == sorted(expected)


def test_there_are_many_distinct_invalid_graphs():
    assert len({i for i, _, _ in INVALID}) == len(INVALID) >= 18


def test_validation_does_not_mutate_the_input():
    raw = INVALID[-1][1]
    before = copy.deepcopy(raw)
    validate_definition(raw, REGISTRY)
    assert raw == before


# --------------------------------------------------------------------------
# Messages that users read
# --------------------------------------------------------------------------

def test_cycle_message_names_the_nodes_in_order():
    raw = graph([node("s"), node("a"), node("b"), node("c")],
                [edge("s", "a"), edge("a", "b"), edge("b", "c"), edge("c", "a")])
    assert messages(raw) == {("cycle", "$.nodes[1]"): "cycle through nodes a -> b -> c -> a"}


def test_self_loop_message():
    raw = graph([node("a"), node("b")], [edge("a", "b"), edge("b", "b")])
    assert messages(raw)[("cycle", "$.nodes[1]")] == "cycle through nodes b -> b"


def test_two_separate_cycles_each_reported():
    raw = graph([node("s"), node("a"), node("b"), node("c"), node("d")],
                [edge("s", "a"), edge("a", "b"), edge("b", "a"), edge("s", "c"), edge("c", "d"), edge("d", "c")])
    assert messages(raw) == {
        ("cycle", "$.nodes[1]"): "cycle through nodes a -> b -> a",
        ("cycle", "$.nodes[3]"): "cycle through nodes c -> d -> c",
    }


def test_unreachable_message_names_the_node():
    raw = graph([node("s"), node("a"), node("b")], [edge("a", "b"), edge("b", "a")])
    msgs = messages(raw)
    assert msgs[("unreachable_node", "$.nodes[1]")] == "node 'a' cannot be reached from any entry node"
    assert msgs[("unreachable_node", "$.nodes[2]")] == "node 'b' cannot be reached from any entry node"


def test_duplicate_id_message_points_at_first_use():
    raw = graph([node("a"), node("b"), node("a")], [edge("a", "b")])
    assert messages(raw) == {("duplicate_node_id", "$.nodes[2].id"): "node id 'a' is already used by nodes[0]"}


def test_unknown_type_message_lists_known_types():
    msg = messages(graph([node("a", "teleport", {})]))[("unknown_node_type", "$.nodes[0].type")]
    assert msg == ("unknown node type 'teleport' (known: approval, condition, delay, http_request, llm, "
                   "shell, sub_workflow, transform)")


def test_edge_messages():
    raw = graph([node("a"), node("b")], [edge("x", "a"), edge("a", "b"), edge("a", "b")])
    assert messages(raw) == {
        ("edge_unknown_source", "$.edges[0].from"): "no node with id 'x'",
        ("duplicate_edge", "$.edges[2]"): "edge a -> b appears twice",
    }


def test_expression_messages():
    raw = graph([node("a", config={"output": "{{ nodes.ghost.output }} {{ foo }} {{ ''.__class__ }}"})])
    assert messages(raw) == {
        ("expression_unknown_node", "$.nodes[0].config.output"): "no node with id 'ghost'",
        ("expression_unknown_name", "$.nodes[0].config.output"):
            "unknown name 'foo': expressions read 'inputs', 'nodes' and 'secrets'",
        ("expression_unsafe", "$.nodes[0].config.output"): "access to private attribute '__class__' is not allowed",
    }


def test_syntax_error_message_has_line():
    msg = messages(graph([node("a", config={"output": "{{ inputs.x + }}"})]))
    assert msg[("expression_syntax", "$.nodes[0].config.output")].startswith("syntax error at line 1: ")


def test_unknown_names_reported_once_each_sorted():
    _, issues = validate_definition(graph([node("a", config={"output": "{{ zeta }} {{ alpha }} {{ zeta }}"})]),
                                    REGISTRY)
    assert [i.message for i in issues] == [
        "unknown name 'alpha': expressions read 'inputs', 'nodes' and 'secrets'",
        "unknown name 'zeta': expressions read 'inputs', 'nodes' and 'secrets'",
    ]


def test_config_error_message_comes_from_schema():
    msg = messages(graph([node("a", "llm", {"prompt": "hi", "temperature": 5})]))
    assert msg == {("invalid_config", "$.nodes[0].config.temperature"): "Input should be less than or equal to 2"}


def test_nested_sub_workflow_depth_limit():
    inner = graph([node("leaf")])
    for _ in range(MAX_SUB_WORKFLOW_DEPTH + 1):
        inner = graph([node("s", "sub_workflow", {"definition": inner})])
    deepest = "$" + ".nodes[0].config.definition" * MAX_SUB_WORKFLOW_DEPTH + ".nodes[0].config"
    assert problems(inner) == [("invalid_config", deepest)]
    assert messages(inner)[("invalid_config", deepest)] == f"sub-workflows nest deeper than {MAX_SUB_WORKFLOW_DEPTH}"


def test_nesting_up_to_the_limit_is_valid():
    inner = graph([node("leaf")])
    for _ in range(MAX_SUB_WORKFLOW_DEPTH):
        inner = graph([node("s", "sub_workflow", {"definition": inner})])
    assert problems(inner) == []


@pytest.mark.parametrize("text", ["{{ inputs.x | nosuchfilter }}", "{{ inputs.x is nosuchtest }}"])
def test_unknown_filter_is_reported_not_raised(text):
    assert problems(graph([node("a", config={"output": text})])) == [
        ("expression_syntax", "$.nodes[0].config.output")]


def test_random_filter_is_gone_so_conditions_replay():
    with pytest.raises(ExpressionError, match="No filter named 'random'"):
        analyze("{{ [true, false] | random }}")
    raw = {"name": "r", "nodes": [{"id": "a", "type": "transform", "config": {"output": 1}},
                                  {"id": "b", "type": "transform", "config": {"output": 2}}],
           "edges": [{"from": "a", "to": "b", "when": "{{ [true, false] | random }}"}]}
    assert problems(raw) == [("expression_syntax", "$.edges[0].when")]


def test_attr_filter_with_private_name_rejected_statically():
    raw = graph([node("a", config={"output": "{{ inputs|attr('__class__') }}"})])
    assert problems(raw) == [("expression_unsafe", "$.nodes[0].config.output")]


# --------------------------------------------------------------------------
# Valid graphs
# --------------------------------------------------------------------------

VALID = [
    ("single_node", graph([node("a")])),
    ("chain_with_expressions", graph(
        [node("a", "http_request", {"url": "http://h/{{ inputs.id }}", "headers": {"Auth": "{{ secrets.TOKEN }}"}}),
         node("b", config={"output": {"v": "{{ nodes.a.output.body }}", "w": ["{{ nodes['a'].output.status }}"]}}),
         node("c", "llm", {"prompt": "{{ nodes.b.output.v }} {{ nodes.a.output }}", "api_key": "{{ secrets.K }}",
                           "temperature": 2})],
        [edge("a", "b"), edge("b", "c")],
        inputs={"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
        description="d", tags=["t"],
    )),
    ("fan_out_fan_in", graph(
        [node("start"), node("l"), node("r"), node("join", config={"output": "{{ nodes.l.output }}{{ nodes.r.output }}"})],
        [edge("start", "l"), edge("start", "r"), edge("l", "join"), edge("r", "join")],
    )),
    ("condition_branches", graph(
        [node("check", "condition", {"expression": "{{ inputs.amount > 100 }}"}), node("big"), node("small")],
        [edge("check", "big", when="nodes.check.output.result"),
         edge("check", "small", when="{{ not nodes.check.output.result }}")],
    )),
    ("two_entry_nodes", graph([node("a"), node("b")])),
    ("delay_and_shell", graph(
        [node("d", "delay", {"seconds": "{{ inputs.wait }}"}), node("s", "shell", {"argv": ["echo", "{{ inputs.x }}"]},
                                                                 retry={"max_attempts": 2}, timeout_s=5,
                                                                 continue_on_error=True)],
        [edge("d", "s")],
    )),
    ("sub_workflow_inline", graph(
        [node("a"), node("s", "sub_workflow", {"definition": graph([node("x"), node("y")], [edge("x", "y")]),
                                               "inputs": {"v": "{{ nodes.a.output }}"}})],
        [edge("a", "s")],
    )),
    ("sub_workflow_reference", graph([node("s", "sub_workflow", {"workflow_id": "wf_1", "version": 2})])),
    ("edge_when_reads_transitive_ancestor", graph(
        [node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c", when="nodes.a.output > 0")],
    )),
    ("not_a_template", graph([node("a", config={"output": "price is { not a template }"})])),
    ("statements_allowed", graph([node("a", config={"output": "{% for i in inputs.xs %}{{ i }}{% endfor %}"})])),
]


@pytest.mark.parametrize("raw", [r for _, r in VALID], ids=[i for i, _ in VALID])
def test_valid_graph_has_no_issues(raw):
    definition, issues = validate_definition(raw, REGISTRY)
    assert issues == []
    assert isinstance(definition, WorkflowDefinition)
    assert [n.id for n in definition.nodes] == [n["id"] for n in raw["nodes"]]


def test_valid_definition_is_parsed():
    raw = VALID[3][1]
    definition, _ = validate_definition(raw, REGISTRY)
    assert definition.name == "wf"
    assert [(e.source, e.target, e.when) for e in definition.edges] == [
        ("check", "big", "nodes.check.output.result"),
        ("check", "small", "{{ not nodes.check.output.result }}"),
    ]


def test_workflow_definition_instance_is_accepted():
    parsed = WorkflowDefinition.model_validate(VALID[1][1])
    definition, issues = validate_definition(parsed, REGISTRY)
    assert issues == []
    assert definition == parsed


def test_nested_path_prefix_is_used():
    _, issues = validate_definition(graph([node("a", "teleport", {})]), REGISTRY, path="$.body")
    assert [(i.code, i.path) for i in issues] == [("unknown_node_type", "$.body.nodes[0].type")]


# --------------------------------------------------------------------------
# validate_run_inputs
# --------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "required": ["name", "count"],
    "properties": {
        "name": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "opts": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
    },
}


def run_problems(schema, inputs):
    return [(i.code, i.path, i.message) for i in validate_run_inputs(schema, inputs)]


def test_run_inputs_valid():
    assert validate_run_inputs(SCHEMA, {"name": "n", "count": 0, "opts": {"tags": ["a"]}}) == []


def test_run_inputs_missing_required_each_reported():
    assert sorted(run_problems(SCHEMA, {})) == [
        ("invalid_run_inputs", "$.inputs", "'count' is a required property"),
        ("invalid_run_inputs", "$.inputs", "'name' is a required property"),
    ]


def test_run_inputs_wrong_type():
    assert run_problems(SCHEMA, {"name": 3, "count": 1}) == [
        ("invalid_run_inputs", "$.inputs.name", "3 is not of type 'string'")]


def test_run_inputs_minimum():
    assert run_problems(SCHEMA, {"name": "n", "count": -1}) == [
        ("invalid_run_inputs", "$.inputs.count", "-1 is less than the minimum of 0")]


def test_run_inputs_nested_path():
    assert run_problems(SCHEMA, {"name": "n", "count": 1, "opts": {"tags": ["ok", 7]}}) == [
        ("invalid_run_inputs", "$.inputs.opts.tags[1]", "7 is not of type 'string'")]


def test_run_inputs_every_error_sorted_by_path():
    got = run_problems(SCHEMA, {"name": 1, "count": "x", "opts": {"tags": 5}})
    assert [(c, p) for c, p, _ in got] == [
        ("invalid_run_inputs", "$.inputs.count"),
        ("invalid_run_inputs", "$.inputs.name"),
        ("invalid_run_inputs", "$.inputs.opts.tags"),
    ]


@pytest.mark.parametrize("inputs", [None, [], "x", 3])
def test_run_inputs_not_an_object(inputs):
    assert run_problems(SCHEMA, inputs) == [("invalid_run_inputs", "$.inputs", "inputs must be an object")]


def test_run_inputs_not_an_object_even_without_schema():
    assert run_problems(None, [1]) == [("invalid_run_inputs", "$.inputs", "inputs must be an object")]


@pytest.mark.parametrize("schema", [None, {}])
def test_run_inputs_without_schema_accepts_any_object(schema):
    assert validate_run_inputs(schema, {"anything": [1, 2]}) == []


def test_run_inputs_custom_path():
    assert [(i.code, i.path) for i in validate_run_inputs(SCHEMA, {"name": "n"}, path="$.body.inputs")] == [
        ("invalid_run_inputs", "$.body.inputs")]


def approval(config):
    return {"name": "q", "nodes": [{"id": "ok", "type": "approval", "config": config}]}


@pytest.mark.parametrize("config", [
    {"approvers": ["alice", "user:alice"], "quorum": 2},
    {"approvers": ["alice"], "quorum": 2, "escalation": [{"after_s": 5, "add_approvers": ["alice"]}]},
])
def test_quorum_counts_distinct_people(config):
    assert ("invalid_config", "$.nodes[0].config") in problems(approval(config))


@pytest.mark.parametrize("config", [
    {"approvers": ["alice", "bob"], "quorum": 2},
    {"approvers": ["alice", "role:admin"], "quorum": 3},
])
def test_reachable_quorums_are_accepted(config):
    assert problems(approval(config)) == []
