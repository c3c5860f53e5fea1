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
    assert msgs[("unreachable_node", "$.nodes[1]")] == "node `a` cannot be reached from any entry node"
    assert msgs[("unreachable_node", "$.nodes[2]")] == "node `b` cannot be reached from any entry node"


def test_duplicate_id_message_points_at_first_use():
    raw = graph([node("a"), node("b"), node("a")], [edge("a", "b")])
    assert messages(raw) == {("duplicate_node_id", "$.nodes[2].id"): "node id `a` is already used by nodes[0]"}


def test_unknown_type_message_lists_known_types_when_none_is_close():
    msg = messages(graph([node("a", "teleport", {})]))[("unknown_node_type", "$.nodes[0].type")]
    assert msg == ("unknown node type `teleport` (known: approval, compliance_scan, condition, delay, for_each, "
                   "http_request, llm, notify, shell, sql, sub_workflow, transform)")


def test_edge_messages():
    raw = graph([node("a"), node("b")], [edge("x", "a"), edge("a", "b"), edge("a", "b")])
    assert messages(raw) == {
        ("edge_unknown_source", "$.edges[0].from"): "no node with id `x`",
        ("duplicate_edge", "$.edges[2]"): "edge a -> b appears twice",
    }


def test_expression_messages():
    raw = graph([node("a", config={"output": "{{ nodes.ghost.output }} {{ foo }} {{ ''.__class__ }}"})])
    assert messages(raw) == {
        ("expression_unknown_node", "$.nodes[0].config.output"): "no node with id `ghost`",
        ("expression_unknown_name", "$.nodes[0].config.output"):
            "unknown name `foo`: expressions read `inputs`, `nodes` and `secrets`",
        ("expression_unsafe", "$.nodes[0].config.output"): "access to private attribute `__class__` is not allowed",
    }


def test_syntax_error_message_has_line():
    msg = messages(graph([node("a", config={"output": "{{ inputs.x + }}"})]))
    assert msg[("expression_syntax", "$.nodes[0].config.output")].startswith("syntax error at line 1: ")


def test_unknown_names_reported_once_each_sorted():
    _, issues = validate_definition(graph([node("a", config={"output": "{{ zeta }} {{ alpha }} {{ zeta }}"})]),
                                    REGISTRY)
    assert [i.message for i in issues] == [
        "unknown name `alpha`: expressions read `inputs`, `nodes` and `secrets`",
        "unknown name `zeta`: expressions read `inputs`, `nodes` and `secrets`",
    ]


def test_config_error_message_is_the_schema_bound_in_plain_words():
    msg = messages(graph([node("a", "llm", {"prompt": "hi", "temperature": 5})]))
    assert msg == {("invalid_config", "$.nodes[0].config.temperature"): "`temperature` must be at most 2, not `5`"}


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


# --------------------------------------------------------------------------
# Issue 10.9: problems that help (did-you-mean, plain words, sorted by path)
# --------------------------------------------------------------------------

def public(raw) -> list[dict]:
    _, issues = validate_definition(raw, REGISTRY)
    return [i.public() for i in issues]


def only(raw) -> dict:
    found = public(raw)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("raw, path, suggestion", [
    (graph([node("a", "htp_request", {})]), "$.nodes[0].type", "http_request"),
    (graph([node("a", "Transform")]), "$.nodes[0].type", "transform"),
    (graph([node("a", "http_request", {"urll": "http://h/", "url": "http://h/"})]), "$.nodes[0].config.urll", "url"),
    (graph([node("a", "approval", {"approvers": ["bob"], "escalation": [{"after_s": 1, "add_aprovers": []}]})]),
     "$.nodes[0].config.escalation[0].add_aprovers", "add_approvers"),
    (graph([node("a", retries=3)]), "$.nodes[0].retries", "retry"),
    (graph([node("a", timeout=3)]), "$.nodes[0].timeout", "timeout_s"),
    (graph([node("a")], node=[]), "$.node", "nodes"),
    (graph([node("prepare"), node("b")], [edge("prepare", "bb")]), "$.edges[0].to", "b"),
    (graph([node("prepare"), node("b")], [edge("prepar", "b")]), "$.edges[0].from", "prepare"),
    (graph([node("prepare"), node("b", config={"output": "{{ nodes.prepar.output }}"})], [edge("prepare", "b")]),
     "$.nodes[1].config.output", "prepare"),
    (graph([node("prepare"), node("b")], [edge("prepare", "b", when="nodes.prepar.output")]), "$.edges[0].when",
     "prepare"),
    (graph([node("a", config={"output": "{{ input.x }}"})]), "$.nodes[0].config.output", "inputs"),
    (graph([node("a", "http_request", {"url": "http://h/", "method": "get"})]), "$.nodes[0].config.method", "GET"),
    (graph([node("a", "approval", {"approvers": ["bob"], "on_timeout": "rejet"})]),
     "$.nodes[0].config.on_timeout", "reject"),
])
def test_did_you_mean(raw, path, suggestion):
    problem = only(raw)
    assert (problem["path"], problem["suggestion"]) == (path, suggestion)
    assert f"(did you mean `{suggestion}`?)" in problem["message"]


def test_the_example_of_the_issue_reads_plainly():
    raw = graph([node("prepare"), node("use", config={"output": "{{ nodes.prepar.output }}"})],
                [edge("prepare", "use")])
    assert only(raw) == {"code": "expression_unknown_node", "path": "$.nodes[1].config.output",
                         "message": "no node with id `prepar` (did you mean `prepare`?)", "suggestion": "prepare"}


def test_no_suggestion_when_nothing_is_close():
    problem = only(graph([node("a", "http_request", {"url": "http://h/", "zzz": 1})]))
    assert "suggestion" not in problem
    assert problem["message"] == ("unknown field `zzz`; an http_request node takes: body, expected_status, "
                                  "follow_redirects, headers, json, method, query, timeout_s, url")
    assert "suggestion" not in only(graph([node("a")], [edge("a", "qqqqqq")]))


@pytest.mark.parametrize("raw, path, message", [
    (graph([node("a", "http_request", {"method": "GET"})]), "$.nodes[0].config.url",
     "`url` is required for an http_request node"),
    (graph([node("a", "llm", {})]), "$.nodes[0].config.prompt", "`prompt` is required for an llm node"),
    (graph([node("a", "shell", {})]), "$.nodes[0].config.argv", "`argv` is required for a shell node"),
    (graph([node("a")], [{"from": "a"}]), "$.edges[0].to", "`to` is required for an edge"),
    ({"nodes": [node("a")]}, "$.name", "`name` is required for a workflow definition"),
    (graph([{"id": "a", "config": {}}]), "$.nodes[0].type", "`type` is required for a node"),
    (graph([node("a", "http_request", {"url": "http://h/", "timeout_s": "soon"})]), "$.nodes[0].config.timeout_s",
     "`timeout_s` must be a number, not the string `soon`"),
    (graph([node("a", "shell", {"argv": "ls -l"})]), "$.nodes[0].config.argv",
     "`argv` must be a list, not the string `ls -l`"),
    (graph([node("a", "shell", {"argv": ["ls"], "env": {"A": 1}})]), "$.nodes[0].config.env.A",
     "`env.A` must be a string, not the number `1`"),
    (graph([node("a", "shell", {"argv": ["ls"], "ok_exit_codes": [0, "one"]})]),
     "$.nodes[0].config.ok_exit_codes[1]", "`ok_exit_codes[1]` must be an integer, not the string `one`"),
    (graph([node("a", "llm", {"prompt": "p", "json_schema": [1, 2]})]), "$.nodes[0].config.json_schema",
     "`json_schema` must be an object, not a list of 2"),
    (graph([node("a", "http_request", {"url": "http://h/", "follow_redirects": "maybe"})]),
     "$.nodes[0].config.follow_redirects", "`follow_redirects` must be true or false, not the string `maybe`"),
    (graph([node("a", "llm", {"prompt": "p", "max_tokens": 1.5})]), "$.nodes[0].config.max_tokens",
     "`max_tokens` must be a whole number, not the number `1.5`"),
    (graph([node("a", "llm", {"prompt": ""})]), "$.nodes[0].config.prompt", "`prompt` must not be empty"),
    (graph([node("a", "shell", {"argv": []})]), "$.nodes[0].config.argv", "`argv` must not be empty"),
    (graph([node("a", "http_request", {"url": "http://h/", "timeout_s": 0})]), "$.nodes[0].config.timeout_s",
     "`timeout_s` must be greater than 0, not `0`"),
    (graph([node("a", retry={"max_attempts": 0})]), "$.nodes[0].retry.max_attempts",
     "`retry.max_attempts` must be at least 1, not `0`"),
    (graph([node("1st")]), "$.nodes[0].id",
     "`id` must start with a letter or `_` and hold only letters, digits and `_` (at most 64); `1st` does not"),
    ({"name": "x" * 201, "nodes": [node("a")]}, "$.name", "`name` must have at most 200 characters, not 201"),
    (graph([node("a", "approval", {"approvers": ["bob"], "quorum": 2})]), "$.nodes[0].config",
     "quorum 2 is more than the 1 distinct approvers"),
    (graph([node("a", "http_request", {"url": "http://h/", "method": "BREW"})]), "$.nodes[0].config.method",
     "`method` must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, not the string `BREW`"),
])
def test_pydantic_errors_in_plain_words(raw, path, message):
    problem = only(raw)
    assert (problem["path"], problem["message"]) == (path, message)
    for pydantic_words in ("Field required", "Extra inputs", "Input should", "Value error", "String should"):
        assert pydantic_words not in problem["message"]


@pytest.mark.parametrize("config, expected", [
    ({"seconds": [1]}, "`seconds` must be a number or a string, not a list of 1"),
    ({"seconds": {"n": 1}}, "`seconds` must be a number or a string, not an object"),
])
def test_a_value_no_member_of_a_union_takes_is_one_problem(config, expected):
    assert only(graph([node("d", "delay", config)])) == {
        "code": "invalid_config", "path": "$.nodes[0].config.seconds", "message": expected}


def test_union_inside_a_dict_names_every_type_once():
    problem = only(graph([node("a", "http_request", {"url": "http://h/", "query": {"page": [1]}})]))
    assert problem == {"code": "invalid_config", "path": "$.nodes[0].config.query.page",
                       "message": "`query.page` must be a string, a number or a boolean, not a list of 1"}


def test_huge_values_are_not_echoed():
    huge = "x" * 100_000
    raw = graph([node("a", huge, {}), node("b", "http_request", {"url": "http://h/", "timeout_s": huge}),
                 node("c", "http_request", {"url": huge}), node("d", config={"output": "{{ nodes.%s }}" % huge})],
                [edge("a", huge)], **{huge: 1})
    found = public(raw)
    assert len(found) >= 5
    for problem in found:
        assert len(problem["message"]) < 300, problem["message"][:300]
        assert len(problem["path"]) < 120


def test_problems_are_sorted_by_path_with_numeric_indices():
    nodes = [node(f"n{i}") for i in range(12)]
    nodes[10] = node("n10", "nope", {})
    nodes[2] = node("n2", "nope", {})
    nodes[11] = node("n11", "http_request", {"url": "ftp://h/", "bogus": 1})
    raw = graph(nodes, [edge("n0", "ghost")], zzz=1, inputs={"type": "nope"})
    paths = [p["path"] for p in public(raw)]
    assert paths == ["$.edges[0].to", "$.inputs.type", "$.nodes[2].type", "$.nodes[10].type",
                     "$.nodes[11].config.bogus", "$.zzz"]


def test_nested_sub_workflow_problems_sort_inside_their_node():
    raw = graph([node("s", "sub_workflow", {"definition": graph([node("x", "nope", {})], [edge("x", "y")])}),
                 node("t", "nope", {})])
    assert [p["path"] for p in public(raw)] == ["$.nodes[0].config.definition.edges[0].to",
                                                "$.nodes[0].config.definition.nodes[0].type", "$.nodes[1].type"]


# --------------------------------------------------------------------------
# Issue 10.9: the written-out part of URLs (the egress policy: test_outbound_policy.py)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("url, code, message", [
    ("example.com/x", "invalid_url",
     "`url` is not an absolute URL: `example.com/x` (write http://host/... or https://host/...)"),
    ("", "invalid_url", "`url` is not an absolute URL: `` (write http://host/... or https://host/...)"),
    ("ftp://files.example.com/a", "url_scheme_not_allowed", "`url` must use http or https, not `ftp`"),
    ("file:///etc/passwd", "url_scheme_not_allowed", "`url` must use http or https, not `file`"),
    ("gopher://h/{{ inputs.x }}", "url_scheme_not_allowed", "`url` must use http or https, not `gopher`"),
    ("http://h:99999/", "invalid_url", "`url` is not a valid URL (port out of range 0-65535): `http://h:99999/`"),
    ("http://h:port/", "invalid_url", "`url` is not a valid URL (port could not be cast to integer value as 'port'): "
                                      "`http://h:port/`"),
    ("http:///path", "invalid_url", "`url` has no valid host: `http:///path`"),
    ("http://exa mple.com/", "invalid_url", "`url` has no valid host: `http://exa mple.com/`"),
    ("1http://h/", "invalid_url", "`url` does not start with a scheme such as https://: `1http://h/`"),
])
def test_url_literals_are_checked(url, code, message):
    assert only(graph([node("a", "http_request", {"url": url})])) == {
        "code": code, "path": "$.nodes[0].config.url", "message": message}


def test_llm_base_url_is_checked_too():
    assert only(graph([node("a", "llm", {"prompt": "p", "base_url": "ws://llm.example/v1"})]))["path"] == \
        "$.nodes[0].config.base_url"


@pytest.mark.parametrize("url", [
    "https://api.example.com/v1?q=1", "HTTP://EXAMPLE.COM", "http://[2001:db8::1]:8080/", "{{ inputs.url }}",
    "http{{ inputs.s }}://h/", "https://{{ inputs.host }}/x", "https://api.{{ inputs.env }}.example/",
    "http://127.0.0.1/", "http://localhost:8080/{{ inputs.p }}",  # the policy's business (the API)
])
def test_good_or_unknowable_urls_pass_the_pure_check(url):
    assert problems(graph([node("a", "http_request", {"url": url})])) == []


def test_destinations_are_the_hosts_the_text_fixes():
    from workflows.url_literals import Destination, destinations
    raw = graph([
        node("a", "http_request", {"url": "http://10.0.0.5/{{ inputs.p }}"}),
        node("b", "http_request", {"url": "https://{{ inputs.host }}/"}),
        node("c", "llm", {"prompt": "p", "base_url": "http://LocalHost:11434/v1"}),
        node("d", "llm", {"prompt": "p"}),
        node("s", "sub_workflow", {"definition": graph([node("x", "http_request", {"url": "http://[::1]/"})])}),
        node("e", "http_request", {"url": "ftp://10.0.0.9/"}),
        node("f", "nope", {"url": "http://10.0.0.8/"}),
        "not a node",
    ])
    assert list(destinations(raw, REGISTRY)) == [
        Destination("$.nodes[0].config.url", "10.0.0.5", 80),
        Destination("$.nodes[2].config.base_url", "localhost", 11434),
        Destination("$.nodes[4].config.definition.nodes[0].config.url", "::1", 80),
    ]
    assert list(destinations(["not", "a", "definition"], REGISTRY)) == []


def test_run_input_problems_sort_indices_by_number_and_do_not_echo_huge_values():
    schema = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}},
                                               "who": {"type": "string", "maxLength": 3}}}
    tags = ["ok"] * 12
    tags[2], tags[10] = 2, 10
    got = run_problems(schema, {"tags": tags, "who": "x" * 100_000})
    assert [(p, m) for _, p, m in got] == [
        ("$.inputs.tags[2]", "2 is not of type 'string'"),
        ("$.inputs.tags[10]", "10 is not of type 'string'"),
        ("$.inputs.who", "`" + "x" * 40 + "…` is too long"),
    ]


def test_an_inputs_schema_problem_does_not_echo_a_huge_value():
    (problem,) = validate_definition(graph([node("a")], inputs={"type": "x" * 100_000}), REGISTRY)[1]
    assert problem.path == "$.inputs.type" and len(problem.message) < 200
