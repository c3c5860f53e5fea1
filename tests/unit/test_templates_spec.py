"""templates/: semver order, parameter binding, secret values, file reading."""

from __future__ import annotations

import pytest

from templates import checks, files, params, secret_values
from templates.spec import TemplateSpec, semver_key
from workflows.expressions import ExpressionError


def test_semver_orders_as_semver_does():
    ordered = ["0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
    assert sorted(ordered, key=semver_key) == ordered
    for bad in ("1.0", "v1.0.0", "01.0.0", "1.0.0.0", ""):
        with pytest.raises(ValueError):
            semver_key(bad)


def test_bind_renders_params_only_and_keeps_types():
    graph = {"a": "{{ params.n }}", "b": "x {{ params.name }} {{ inputs.who }}", "c": ["{{ params.things }}"],
             "d": "{{ nodes.x.output }}", "e": "n={{ params.n }}", "f": "{{ params.name | upper }}"}
    bound = params.bind(graph, {"n": 3, "name": "ann", "things": [1, 2]})
    assert bound == {"a": 3, "b": "x ann {{ inputs.who }}", "c": [[1, 2]], "d": "{{ nodes.x.output }}",
                     "e": "n=3", "f": "ANN"}


def test_bind_runs_in_the_sandbox():
    with pytest.raises(ExpressionError):
        params.bind({"a": "{{ params.__class__ }}"}, {})
    with pytest.raises(ExpressionError):
        params.bind({"a": "{{ params.missing }}"}, {})
    with pytest.raises(ExpressionError, match="longer than"):
        params.bind({"a": "{{ params.s * 10000000 }}"}, {"s": "xx"})


def test_param_values_are_literal_and_checked_against_the_schema():
    schema = {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}
    assert params.check_values(schema, {"url": "https://x"}) == []
    codes = {(p.code, p.path) for p in params.check_values(schema, {"url": "{{ secrets.X }}"})}
    assert codes == {("param_not_literal", "$.params.url")}
    assert {p.code for p in params.check_values(schema, {})} == {"invalid_params"}
    assert params.with_defaults({"properties": {"n": {"default": 2}}}, {"m": 1}) == {"n": 2, "m": 1}


def test_params_mixed_with_run_names_are_refused():
    found = params.usage_problems({"x": "{{ params.a ~ inputs.b }}", "y": "{% if params.a %}1{% endif %}",
                                   "z": "{{ params.a }} {{ inputs.b }}"})
    assert [(p.code, p.path) for p in found] == [("params_mixed", "$.graph.x"), ("params_in_statement", "$.graph.y")]


@pytest.mark.parametrize("value", ["ghp_" + "a" * 36, "sk-" + "b" * 30, "xoxb-1234567890-abc",
                                   "AKIA" + "A" * 16, "-----BEGIN RSA PRIVATE KEY-----"])
def test_token_shapes_are_secret_values(value):
    graph = {"nodes": [{"id": "a", "type": "transform", "config": {"output": f"x {value}"}}]}
    assert [p["path"] for p in secret_values.problems(graph)] == ["$.graph.nodes[0].config.output"]


def test_credential_fields_take_only_references():
    def node(headers=None, api_key=None):
        config = {"headers": headers} if headers else {"api_key": api_key}
        return {"nodes": [{"id": "a", "type": "http_request", "config": config}]}
    assert secret_values.problems(node({"Authorization": "Bearer {{ secrets.T }}", "Accept": "x"})) == []
    assert secret_values.problems(node({"X-Api-Key": "{{ secrets.T }}"})) == []
    assert len(secret_values.problems(node({"Authorization": "Bearer abc"}))) == 1
    assert len(secret_values.problems(node({"Authorization": "abc {{ secrets.T }}"}))) == 1
    assert len(secret_values.problems(node(api_key="plain"))) == 1
    inline = {"nodes": [{"id": "s", "type": "sub_workflow", "config": {"definition": node({"Cookie": "a=b"})}}]}
    assert [p["path"] for p in secret_values.problems(inline)] == [
        "$.graph.nodes[0].config.definition.nodes[0].config.headers.Cookie"]


def test_files_read_json_and_yaml_but_no_yaml_aliases_or_tags():
    assert files.read('{"a": 1}') == {"a": 1}
    assert files.read("a: 1\n") == {"a": 1}
    for text in ("a: &x [1]\nb: *x\n", "a: !!python/object/apply:os.system ['true']\n", b"\xff\xfe", "{bad"):
        with pytest.raises(files.UnreadableTemplate):
            files.read(text)


def test_check_computes_node_types_and_needs_examples():
    spec = TemplateSpec(name="t", parameters={"type": "object", "properties": {"u": {"type": "string",
                                                                                     "examples": ["x"]}}},
                        graph={"name": "t", "nodes": [{"id": "a", "type": "transform",
                                                       "config": {"output": "{{ params.u }}"}}]})
    checked, problems = checks.check(spec)
    assert problems == [] and checked.node_types == ["transform"]
    no_example = spec.model_copy(update={"parameters": {"type": "object", "properties": {"u": {"type": "string"}}}})
    assert [p["code"] for p in checks.check(no_example)[1]] == ["param_example_missing"]
    assert checks.parse({"name": "t", "graph": {}, "surprise": 1})[1][0]["path"] == "$.surprise"


def test_every_builtin_file_passes_the_checks(capsys):
    """What the loader would refuse at API start fails here first."""
    from cli.main import run
    from templates.loader import BUILTIN_DIR
    paths = sorted(BUILTIN_DIR.glob("*.yaml"))
    assert len(paths) >= 6
    for path in paths:
        assert run(["validate-template", str(path)]) == 0, capsys.readouterr().err


def test_validate_template_prints_every_problem_with_its_path(tmp_path, capsys):
    from cli.main import run
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nversion: '1'\ngraph: {name: bad, nodes: []}\n")
    assert run(["validate-template", str(path)]) == 1
    assert "$.version: invalid_field" in capsys.readouterr().err
    path.write_text("name: bad\ngraph:\n  name: bad\n  nodes: [{id: a, type: notifyy, config: {}}]\n")
    assert run(["validate-template", str(path)]) == 1
    assert "$.graph.nodes[0].type: unknown_node_type: unknown node type `notifyy` (did you mean `notify`?)" in capsys.readouterr().err
