"""Sandboxed `{{ ... }}` expressions over inputs, upstream node results and secrets.

Jinja2's SandboxedEnvironment evaluates them, never `eval`. Evaluation is pure:
the environment exposes no clock, randomness or I/O, so the interpreter may
evaluate edge conditions inside workflow code. A static pass (`analyze`) finds
syntax errors, unknown names, private-attribute access (sandbox escapes such as
`''.__class__.__mro__`) and which nodes an expression reads, so bad expressions
are rejected when a graph is saved, not when it runs. Evaluation runs under hard
limits (steps, data, sizes: workflows/expression_limits.py) wired into the
sandbox (workflows/expression_sandbox.py).
"""

from __future__ import annotations

import contextvars
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError

# ExpressionError and ExpressionLimitError are caught by importing them from here.
from workflows.expression_limits import (  # noqa: F401
    ExpressionError,
    ExpressionLimitError,
    current,
    evaluation,
    refuse_size,
)
from workflows.expression_sandbox import ENV as _ENV

ROOT_NAMES = frozenset({"inputs", "nodes", "secrets"})
_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)
JSON_SCALARS = (str, int, float, bool, type(None))
TOO_DEEP = "expression nested too deeply"


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@dataclass
class Analysis:
    names: set[str] = field(default_factory=set)
    node_refs: set[str] = field(default_factory=set)
    unsafe: list[str] = field(default_factory=list)
    dynamic_node_access: bool = False
    # Run inputs read by name (`inputs.x`, `inputs['x']`); whole_inputs: read as a
    # whole or by a computed key (workflows/reuse.py digests what a node reads).
    input_keys: set[str] = field(default_factory=set)
    whole_inputs: bool = False
    # `{{ secrets.NAME }}` / `{{ secrets['NAME'] }}` straight in the template's
    # text; any other use of `secrets` (a filter, an operator, a loop...) is misuse.
    secret_refs: set[str] = field(default_factory=set)
    secret_misuse: bool = False
    # Constructs refused outright (recursion), each with the reason.
    refused: list[str] = field(default_factory=list)


def analyze(text: str) -> Analysis:
    """Parse a template and report what it reads; raises ExpressionError on bad syntax."""
    try:
        ast = _ENV.parse(text)
        # Code generation also checks that every filter and test exists.
        result = Analysis(names=set(meta.find_undeclared_variables(ast)))
    except TemplateSyntaxError as err:  # includes TemplateAssertionError
        raise ExpressionError(f"syntax error at line {err.lineno}: {err.message}") from None
    except RecursionError:
        raise ExpressionError(TOO_DEEP) from None
    result.refused.extend(_refused_constructs(ast))
    for name in ast.find_all(nodes.Name):
        if name.name == "self":  # the template's own reference: a way out of the data
            result.unsafe.append("self")
    for flt in ast.find_all(nodes.Filter):
        if flt.name == "attr":  # `x|attr('__class__')` hides the name from Getattr
            arg = flt.args[0] if flt.args else None
            name = arg.value if isinstance(arg, nodes.Const) else None
            if not isinstance(name, str) or name.startswith("_"):
                result.unsafe.append(name if isinstance(name, str) else "attr(<computed name>)")
    keyed_inputs: set[int] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = _static_key(node)
        if isinstance(key, str) and key.startswith("_"):
            result.unsafe.append(key)
        if isinstance(node.node, nodes.Name) and node.node.name == "nodes":
            if isinstance(key, str):
                result.node_refs.add(key)
            else:
                result.dynamic_node_access = True
        if isinstance(node.node, nodes.Name) and node.node.name == "inputs" and isinstance(key, str):
            result.input_keys.add(key)
            keyed_inputs.add(id(node.node))
    result.whole_inputs = any(name.name == "inputs" and id(name) not in keyed_inputs
                              for name in ast.find_all(nodes.Name))
    plain = _plain_secret_refs(ast)
    for name in ast.find_all(nodes.Name):
        if name.name == "secrets":
            if id(name) in plain:
                result.secret_refs.add(plain[id(name)])
            else:
                result.secret_misuse = True
    return result


def _plain_secret_refs(ast: nodes.Template) -> dict[int, str]:
    """id(Name node) -> key, for each `secrets.KEY` that is a whole `{{ }}` of
    the template's top level (not inside a block, loop or condition)."""
    found = {}
    for output in ast.body:
        if not isinstance(output, nodes.Output):
            continue
        for child in output.nodes:
            if isinstance(child, (nodes.Getattr, nodes.Getitem)) and isinstance(child.node, nodes.Name) \
                    and child.node.name == "secrets" and isinstance(_static_key(child), str):
                found[id(child.node)] = _static_key(child)
    return found


def _refused_constructs(ast: nodes.Template) -> list[str]:
    """What can recurse: macros, call blocks and recursive loops."""
    refused = []
    if any(True for _ in ast.find_all(nodes.Macro)):
        refused.append("macros ({% macro %}) are not allowed")
    if any(True for _ in ast.find_all(nodes.CallBlock)):
        refused.append("call blocks ({% call %}) are not allowed")
    if any(loop.recursive for loop in ast.find_all(nodes.For)):
        refused.append("recursive loops are not allowed")
    return refused


def _static_key(node: nodes.Getattr | nodes.Getitem) -> Any:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const):
        return node.arg.value
    return None


# Compiled outside any budget (an empty context): Jinja's constant folding then
# cannot run a filter, so what an evaluation costs never depends on whether this
# process had the template cached, and replays reach the same verdict.

@functools.lru_cache(maxsize=4096)
def _compile_expression(expr: str):
    try:
        return contextvars.Context().run(_ENV.compile_expression, expr, undefined_to_none=False)
    except TemplateSyntaxError as err:
        raise ExpressionError(f"syntax error: {err.message}") from None


@functools.lru_cache(maxsize=4096)
def _compile_template(text: str):
    try:
        return contextvars.Context().run(_ENV.from_string, text)
    except TemplateSyntaxError as err:
        raise ExpressionError(f"syntax error: {err.message}") from None


def whole_expression(text: str) -> str | None:
    """The inner expression when `text` is exactly one `{{ ... }}`, else None."""
    match = _WHOLE_EXPRESSION.match(text)
    if not match:
        return None
    expr = match.group("expr")
    return None if ("{{" in expr or "}}" in expr or "{%" in text) else expr


def render_string(text: str, context: dict[str, Any], *, timeout_s: float | None = None) -> Any:
    """A lone `{{ expr }}` keeps its native type (a dict stays a dict); anything
    else renders to a string. Evaluated under the limits of
    workflows/expression_limits.py; `timeout_s` adds a wall-clock deadline
    (never in workflow code)."""
    if not is_template(text):
        return text
    with evaluation(timeout_s):
        try:
            expr = whole_expression(text)
            if expr is not None:
                value = current().checked(_compile_expression(expr)(**context))
                return _as_data(value, text)
            return _render_text(_compile_template(text), context)
        except ExpressionError:
            raise
        except RecursionError:
            raise ExpressionError(TOO_DEEP) from None
        except SecurityError as err:
            raise ExpressionError(f"unsafe expression: {err}") from None
        except UndefinedError as err:
            raise ExpressionError(f"{err.message} in {text!r}") from None
        except Exception as err:  # a user's expression can raise anything (1/0, bad filter args)
            raise ExpressionError(f"{type(err).__name__}: {err} in {text!r}") from None


def _render_text(template, context: dict[str, Any]) -> str:
    """The output is capped as it is produced, not once it is whole."""
    pieces, size = [], 0
    for piece in template.generate(**context):
        size += len(piece)
        refuse_size(size, "the output")
        pieces.append(piece)
    return "".join(pieces)


def _as_data(value: Any, text: str) -> Any:
    """A lone expression must give JSON data: an undefined value (a missing key,
    or an attribute the sandbox refused) is an error, not an object."""
    if isinstance(value, Undefined):
        raise ExpressionError(f"{value._undefined_message} in {text!r}")
    if isinstance(value, JSON_SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return [_as_data(item, text) for item in value]
    if isinstance(value, dict):
        return {str(key): _as_data(item, text) for key, item in value.items()}
    raise ExpressionError(f"{text!r} gives a {type(value).__name__}, not JSON data")


def render_value(value: Any, context: dict[str, Any], *, timeout_s: float | None = None) -> Any:
    """Render every string inside a JSON-like value, all under one budget."""
    with evaluation(timeout_s):
        if isinstance(value, str):
            return render_string(value, context)
        if isinstance(value, dict):
            return {key: render_value(item, context) for key, item in value.items()}
        if isinstance(value, list):
            return [render_value(item, context) for item in value]
        return value


def evaluate_condition(text: str, context: dict[str, Any], *, timeout_s: float | None = None) -> bool:
    """An edge's `when`: `{{ expr }}` or a bare expression, judged by truthiness."""
    expr = whole_expression(text)
    if expr is None:
        expr = text
    # raises ExpressionError, never UndefinedError
    value = render_string("{{" + expr + "}}", context, timeout_s=timeout_s)
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "none", "null")
    return bool(value)


def iter_strings(value: Any, path: str):
    """(json path, string) for every string inside a JSON-like value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{path}[{index}]")


class WorkflowSecrets:
    """Stands in for `secrets` where expressions run in workflow code: secrets
    must never enter Temporal history, so reading one is an error."""

    def __getattr__(self, name: str) -> Any:
        raise ExpressionError(
            f"secrets.{name} is only available inside activity-run nodes, "
            "never in edge conditions, delays or sub-workflow inputs"
        )

    __getitem__ = __getattr__
