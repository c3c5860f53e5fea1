"""Where `{{ secrets.NAME }}` may appear (workflows/secret_refs.py): only plain
references in fields that take a secret. Checked when a version is saved, with
the JSON path of each misplaced use; and which names a definition or plan references."""

from __future__ import annotations

import pytest

from workflows.compiler import compile_definition
from workflows.expressions import analyze
from workflows.node_types import secret_fields
from workflows.registry import REGISTRY
from workflows.secret_refs import plan_references, references
from workflows.validation import validate_definition


def issues(nodes, edges=()) -> list[tuple[str, str]]:
    _, found = validate_definition({"name": "wf", "nodes": nodes, "edges": list(edges)}, REGISTRY)
    return sorted((i.code, i.path) for i in found)


def http(headers=None, **config):
    return {"id": "call", "type": "http_request", "config": {"url": "https://api.example.com/", **config,
                                                            **({"headers": headers} if headers else {})}}


def test_the_fields_that_take_a_secret():
    assert secret_fields(REGISTRY["http_request"].config_model) == {"headers"}
    assert secret_fields(REGISTRY["llm"].config_model) == {"api_key"}
    for name in ("transform", "condition", "shell", "delay", "sub_workflow", "approval"):
        assert secret_fields(REGISTRY[name].config_model) == frozenset(), name


@pytest.mark.parametrize("text", [
    "{{ secrets.TOKEN }}", "Bearer {{ secrets.TOKEN }}", "{{ secrets['TOKEN'] }}",
    "{{secrets.A}}:{{ secrets.B_2 }}", "{{ inputs.user }} {{ secrets.TOKEN }}",
])
def test_plain_references_in_a_header_are_accepted(text):
    assert issues([http({"Authorization": text})]) == []


def test_llm_api_key_takes_a_secret():
    assert issues([{"id": "ask", "type": "llm", "config": {"prompt": "hi", "api_key": "{{ secrets.K }}"}}]) == []


@pytest.mark.parametrize("text", [
    # The bypasses of the issue, and their cousins: anything that reshapes the value.
    "{{ secrets.DEMO | reverse }}",
    "{{ secrets.DEMO | list | join('-') }}",
    "{{ secrets.DEMO ~ 'x' }}",
    "{{ secrets.DEMO[0] }}",
    "{{ secrets.DEMO.upper() }}",
    "{{ secrets.DEMO if inputs.x else '' }}",
    "{{ secrets.DEMO is defined }}",
    "{% for c in secrets.DEMO %}{{ c }}{% endfor %}",
    "{% if inputs.x %}{{ secrets.DEMO }}{% endif %}",
    "{% filter reverse %}{{ secrets.DEMO }}{% endfilter %}",
    "{% set s = secrets %}{{ s.DEMO }}",
    "{{ secrets[inputs.name] }}",
    "{{ secrets }}",
])
def test_reshaping_a_secret_is_refused_even_in_a_header(text):
    assert issues([http({"Authorization": text})]) == [("secret_not_allowed", "$.nodes[0].config.headers.Authorization")]


@pytest.mark.parametrize("node, path", [
    ({"id": "t", "type": "transform", "config": {"output": "{{ secrets.DEMO | reverse }}"}}, "$.nodes[0].config.output"),
    ({"id": "t", "type": "transform", "config": {"output": "{{ secrets.DEMO | list | join('-') }}"}},
     "$.nodes[0].config.output"),
    ({"id": "t", "type": "transform", "config": {"output": {"plain": ["{{ secrets.DEMO }}"]}}},
     "$.nodes[0].config.output.plain[0]"),
    ({"id": "c", "type": "condition", "config": {"expression": "{{ secrets.DEMO == 'x' }}"}},
     "$.nodes[0].config.expression"),
    (http(url="https://h/{{ secrets.DEMO }}"), "$.nodes[0].config.url"),
    (http(query={"key": "{{ secrets.DEMO }}"}), "$.nodes[0].config.query.key"),
    (http(body="token={{ secrets.DEMO }}"), "$.nodes[0].config.body"),
    (http(json={"token": "{{ secrets.DEMO }}"}), "$.nodes[0].config.json.token"),
    ({"id": "ask", "type": "llm", "config": {"prompt": "{{ secrets.DEMO }}"}}, "$.nodes[0].config.prompt"),
    ({"id": "ask", "type": "llm", "config": {"prompt": "p", "base_url": "https://{{ secrets.DEMO }}.test"}},
     "$.nodes[0].config.base_url"),
    ({"id": "s", "type": "shell", "config": {"argv": ["echo"], "env": {"T": "{{ secrets.DEMO }}"}}},
     "$.nodes[0].config.env.T"),
    ({"id": "d", "type": "delay", "config": {"seconds": "{{ secrets.DEMO }}"}}, "$.nodes[0].config.seconds"),
])
def test_secrets_outside_secret_fields_are_refused_with_the_path(node, path):
    assert issues([node]) == [("secret_not_allowed", path)]


def test_secret_in_an_inline_sub_workflow_is_refused_at_its_path():
    child = {"name": "c", "nodes": [{"id": "t", "type": "transform", "config": {"output": "{{ secrets.D | reverse }}"}}]}
    assert issues([{"id": "sub", "type": "sub_workflow", "config": {"definition": child}}]) == [
        ("secret_not_allowed", "$.nodes[0].config.definition.nodes[0].config.output")]


def test_the_message_names_the_fields_that_take_one():
    _, found = validate_definition({"name": "wf", "nodes": [http(url="https://h/{{ secrets.D }}")]}, REGISTRY)
    assert "this node type: headers" in found[0].message
    _, found = validate_definition({"name": "wf", "nodes": [
        {"id": "t", "type": "transform", "config": {"output": "{{ secrets.D }}"}}]}, REGISTRY)
    assert "this node type has none" in found[0].message


@pytest.mark.parametrize("name", ["lower", "Mixed", "9X", "A" * 65])
def test_invalid_secret_names_are_refused(name):
    assert issues([http({"A": "{{ secrets['" + name + "'] }}"})]) == [
        ("invalid_secret_name", "$.nodes[0].config.headers.A")]


def test_analyze_reports_plain_references_and_misuse():
    found = analyze("Bearer {{ secrets.A }} and {{ secrets['B'] }}")
    assert (found.secret_refs, found.secret_misuse) == ({"A", "B"}, False)
    found = analyze("{{ secrets.A }}{{ secrets.B | reverse }}")
    assert (found.secret_refs, found.secret_misuse) == ({"A"}, True)
    assert analyze("{{ inputs.secrets }}").secret_refs == set()
    assert analyze("{{ inputs.secrets }}").secret_misuse is False


def test_references_of_a_definition_with_paths():
    definition = {"name": "wf", "nodes": [
        http({"A": "{{ secrets.TOKEN }}", "B": "x {{ secrets.OTHER }}"}),
        {"id": "sub", "type": "sub_workflow", "config": {"definition": {"name": "c", "nodes": [
            {"id": "ask", "type": "llm", "config": {"prompt": "p", "api_key": "{{ secrets.TOKEN }}"}}]}}},
    ]}
    assert references(definition) == {
        "TOKEN": ["$.nodes[0].config.headers.A", "$.nodes[1].config.definition.nodes[0].config.api_key"],
        "OTHER": ["$.nodes[0].config.headers.B"],
    }


def test_references_of_a_plan_name_nodes_by_id():
    child = {"name": "c", "nodes": [{"id": "ask", "type": "llm", "config": {"prompt": "p", "api_key": "{{ secrets.K }}"}}]}
    plan = compile_definition({"name": "wf", "nodes": [
        http({"A": "{{ secrets.TOKEN }}"}), {"id": "sub", "type": "sub_workflow", "config": {"definition": child}},
    ]}, REGISTRY)
    assert plan_references(plan) == {
        "TOKEN": ["$.nodes.call.config.headers.A"],
        # found in the inline definition the node keeps and in the compiled child
        "K": ["$.nodes.sub.config.definition.nodes[0].config.api_key", "$.nodes.sub.child.nodes.ask.config.api_key"],
    }
