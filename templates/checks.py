"""Everything a template version must pass before it is stored (a POST, a
PUT, an import, a built-in file): its parameters schema, its use of params,
its graph as it deploys with the example parameters (the workflow validator:
unknown node types, config schemas, expressions, secret-reference rules), no
secret values written in, and every referenced secret declared by name.
Pure and CPU-bound: the API runs it through core/expression_threads.py."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from templates import params, secret_values
from templates.spec import TemplateSpec
from workflows.expressions import ExpressionError
from workflows.registry import REGISTRY
from workflows.secret_refs import references
from workflows.validation import _check_inputs_schema, validate_definition

Problem = dict[str, str]


def parse(raw: Any) -> tuple[TemplateSpec | None, list[Problem]]:
    """The spec, or its field problems with JSON paths."""
    if not isinstance(raw, dict):
        return None, [{"code": "invalid_field", "path": "$", "message": "a template must be an object"}]
    try:
        return TemplateSpec.model_validate(raw), []
    except ValidationError as err:
        return None, [{"code": "invalid_field", "path": "$" + "".join(_part(p) for p in e["loc"]),
                       "message": e["msg"]} for e in err.errors()]


def check(spec: TemplateSpec) -> tuple[TemplateSpec, list[Problem]]:
    """The spec with node_types computed, and every problem found."""
    problems = [i.public() for i in _check_inputs_schema(spec.parameters, "$.parameters")]
    if spec.parameters.get("type", "object") != "object":
        problems.append({"code": "invalid_parameters", "path": "$.parameters.type",
                         "message": "parameters must be a JSON Schema of type object"})
    problems += _missing_examples(spec.parameters)
    problems += [p.public() for p in params.usage_problems(spec.graph)]
    problems += secret_values.problems(spec.graph)
    if problems:
        return spec, problems
    sample = params.examples(spec.parameters)
    problems += [p.public() for p in params.check_values(spec.parameters, sample, "$.parameters(examples)")]
    try:
        rendered = params.bind(spec.graph, sample)
    except ExpressionError as err:
        return spec, problems + [{"code": "params_error", "path": "$.graph", "message": str(err)}]
    _, issues = validate_definition(rendered, REGISTRY, path="$.graph")
    problems += [i.public() for i in issues]
    undeclared = sorted(set(references(rendered, "$.graph")) - set(spec.secrets))
    for name in undeclared:
        problems.append({"code": "secret_not_declared", "path": "$.secrets",
                         "message": f"the graph references secret {name!r}: list it in `secrets`"})
    return spec.model_copy(update={"node_types": sorted(node_types(rendered))}), problems


def node_types(graph: Any) -> set[str]:
    """Every node type used, inline sub-workflows included."""
    found: set[str] = set()
    for node in graph.get("nodes") or [] if isinstance(graph, dict) else []:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            continue
        found.add(node["type"])
        inline = (node.get("config") or {}).get("definition") if node["type"] == "sub_workflow" else None
        if isinstance(inline, dict):
            found |= node_types(inline)
    return found


def _missing_examples(schema: dict[str, Any]) -> list[Problem]:
    sample = params.examples(schema)
    return [{"code": "param_example_missing", "path": f"$.parameters.properties.{name}",
             "message": f"parameter {name!r} needs a `default` or `examples` (the graph is checked "
                        "as it deploys with them)"}
            for name in (schema.get("properties") or {}) if name not in sample]


def _part(item: Any) -> str:
    return f"[{item}]" if isinstance(item, int) else f".{item}"
