"""Parameters bound into a template's graph at deploy: every `{{ ... }}` that
reads `params` (and nothing else) is rendered in the expression sandbox
(workflows/expressions.py, its limits included); every other expression
(`inputs`, `nodes`, `secrets`) stays for the run. Callers on an event loop run
`bind` through core/expression_threads.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workflows.expressions import ExpressionError, analyze, iter_strings, render_string, whole_expression
from workflows.validation import validate_run_inputs

BLOCK = re.compile(r"\{\{.*?\}\}", re.DOTALL)
STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
TEMPLATE_MARKERS = ("{{", "{%", "{#")


@dataclass(frozen=True)
class ParamProblem:
    code: str
    path: str
    message: str

    def public(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


def check_values(schema: dict[str, Any], values: Any, path: str = "$.params") -> list[ParamProblem]:
    """The values against the template's parameters schema, and literal only:
    a value that carries an expression would become code in the workflow."""
    problems = [ParamProblem("invalid_params", i.path, i.message)
                for i in validate_run_inputs(schema, values, path)]
    if isinstance(values, dict):
        for where, text in iter_strings(values, path):
            if any(marker in text for marker in TEMPLATE_MARKERS):
                problems.append(ParamProblem("param_not_literal", where,
                                             "a parameter value may not contain '{{', '{%' or '{#'"))
    return problems


def with_defaults(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values given, and each property's `default` where none was."""
    defaults = {name: prop["default"] for name, prop in (schema.get("properties") or {}).items()
                if isinstance(prop, dict) and "default" in prop}
    return {**defaults, **values}


def examples(schema: dict[str, Any]) -> dict[str, Any]:
    """A value for each property: its `default`, else its first example."""
    found = {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and "default" in prop:
            found[name] = prop["default"]
        elif isinstance(prop, dict) and isinstance(prop.get("examples"), list) and prop["examples"]:
            found[name] = prop["examples"][0]
    return found


def usage_problems(graph: Any, path: str = "$.graph") -> list[ParamProblem]:
    """`params` mixed with run-time names in one `{{ }}`, or read in a `{% %}`."""
    problems = []
    for where, text in iter_strings(graph, path):
        if "params" not in text:
            continue
        for block in STATEMENT.findall(text):
            if _reads_params(block):
                problems.append(ParamProblem("params_in_statement", where,
                                             "params may only be read in '{{ params.x }}', not in '{% %}'"))
        for block in BLOCK.findall(text):
            names = _names(block)
            if "params" in names and names != {"params"}:
                problems.append(ParamProblem("params_mixed", where,
                                             "a '{{ }}' that reads params may read nothing else "
                                             f"(it also reads {', '.join(sorted(names - {'params'}))})"))
    return problems


def bind(graph: Any, values: dict[str, Any]) -> Any:
    """The graph with every params-only `{{ }}` rendered; a string that is one
    such block takes the value's type. Raises ExpressionError (e.g. an unknown
    parameter, a limit)."""
    context = {"params": values}
    if isinstance(graph, dict):
        return {key: bind(item, values) for key, item in graph.items()}
    if isinstance(graph, list):
        return [bind(item, values) for item in graph]
    if not isinstance(graph, str) or "params" not in graph:
        return graph
    if whole_expression(graph) is not None and _names(graph) == {"params"}:
        return render_string(graph, context)
    return BLOCK.sub(lambda m: _as_text(m.group(0), context) if _names(m.group(0)) == {"params"}
                     else m.group(0), graph)


def _as_text(block: str, context: dict[str, Any]) -> str:
    value = render_string(block, context)
    return value if isinstance(value, str) else json.dumps(value)


def _names(block: str) -> set[str]:
    try:
        return analyze(block).names
    except ExpressionError:
        return set()  # not a params block; the graph's validation reports its syntax


def _reads_params(block: str) -> bool:
    return re.search(r"\bparams\b", block) is not None
