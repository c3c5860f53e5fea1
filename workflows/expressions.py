"""Sandboxed `{{ ... }}` expressions over inputs, upstream node results and secrets.

Jinja2's SandboxedEnvironment evaluates them, never `eval`. Evaluation is pure:
the environment exposes no clock, randomness or I/O, so the interpreter may
evaluate edge conditions inside workflow code. A static pass (`analyze`) finds
syntax errors, unknown names, private-attribute access (sandbox escapes such as
`''.__class__.__mro__`) and which nodes an expression reads, so bad expressions
are rejected when a graph is saved, not when it runs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

ROOT_NAMES = frozenset({"inputs", "nodes", "secrets"})
_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message is for users."""


MAX_REPEAT_LENGTH = 1_000_000  # 'x' * n and [..] * n
MAX_EXPONENT = 1_000


class _Env(ImmutableSandboxedEnvironment):
    # Operators a user could use to pin a worker thread or its memory.
    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Everything private is off limits, not only what Jinja2 deems unsafe.
        return not attr.startswith("_") and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT \
                and isinstance(left, (int, float)) and abs(left) > 1:
            raise ExpressionError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_REPEAT_LENGTH:
                    raise ExpressionError(f"repetition longer than {MAX_REPEAT_LENGTH} items")
        return super().call_binop(context, operator, left, right)


_ENV = _Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
# Only plain data helpers: no lipsum/cycler/joiner objects to poke at.
_ENV.globals = {"range": safe_range, "dict": dict}  # safe_range caps huge ranges
# Evaluation must be deterministic: the interpreter replays edge conditions.
del _ENV.filters["random"]
JSON_SCALARS = (str, int, float, bool, type(None))


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@dataclass
class Analysis:
    names: set[str] = field(default_factory=set)
    node_refs: set[str] = field(default_factory=set)
    unsafe: list[str] = field(default_factory=list)
    dynamic_node_access: bool = False
    # `{{ secrets.NAME }}` / `{{ secrets['NAME'] }}` straight in the template's
    # text; any other use of `secrets` (a filter, an operator, a loop...) is misuse.
    secret_refs: set[str] = field(default_factory=set)
    secret_misuse: bool = False


def analyze(text: str) -> Analysis:
    """Parse a template and report what it reads; raises ExpressionError on bad syntax."""
    try:
        ast = _ENV.parse(text)
        # Code generation also checks that every filter and test exists.
        result = Analysis(names=set(meta.find_undeclared_variables(ast)))
    except TemplateSyntaxError as err:  # includes TemplateAssertionError
        raise ExpressionError(f"syntax error at line {err.lineno}: {err.message}") from None
    for name in ast.find_all(nodes.Name):
        if name.name == "self":  # the template's own reference: a way out of the data
            result.unsafe.append("self")
    for flt in ast.find_all(nodes.Filter):
        if flt.name == "attr":  # `x|attr('__class__')` hides the name from Getattr
            arg = flt.args[0] if flt.args else None
            name = arg.value if isinstance(arg, nodes.Const) else None
            if not isinstance(name, str) or name.startswith("_"):
                result.unsafe.append(name if isinstance(name, str) else "attr(<computed name>)")
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = _static_key(node)
        if isinstance(key, str) and key.startswith("_"):
            result.unsafe.append(key)
        if isinstance(node.node, nodes.Name) and node.node.name == "nodes":
            if isinstance(key, str):
                result.node_refs.add(key)
            else:
                result.dynamic_node_access = True
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


def _static_key(node: nodes.Getattr | nodes.Getitem) -> Any:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const):
        return node.arg.value
    return None


@functools.lru_cache(maxsize=4096)
def _compile_expression(expr: str):
    try:
        return _ENV.compile_expression(expr, undefined_to_none=False)
    except TemplateSyntaxError as err:
        raise ExpressionError(f"syntax error: {err.message}") from None


@functools.lru_cache(maxsize=4096)
def _compile_template(text: str):
    try:
        return _ENV.from_string(text)
    except TemplateSyntaxError as err:
        raise ExpressionError(f"syntax error: {err.message}") from None


def whole_expression(text: str) -> str | None:
    """The inner expression when `text` is exactly one `{{ ... }}`, else None."""
    match = _WHOLE_EXPRESSION.match(text)
    if not match:
        return None
    expr = match.group("expr")
    return None if ("{{" in expr or "}}" in expr or "{%" in text) else expr


def render_string(text: str, context: dict[str, Any]) -> Any:
    """A lone `{{ expr }}` keeps its native type (a dict stays a dict); anything
    else renders to a string."""
    if not is_template(text):
        return text
    try:
        expr = whole_expression(text)
        if expr is not None:
            return _as_data(_compile_expression(expr)(**context), text)
        return _compile_template(text).render(**context)
    except ExpressionError:
        raise
    except SecurityError as err:
        raise ExpressionError(f"unsafe expression: {err}") from None
    except UndefinedError as err:
        raise ExpressionError(f"{err.message} in {text!r}") from None
    except Exception as err:  # a user's expression can raise anything (1/0, bad filter args)
        raise ExpressionError(f"{type(err).__name__}: {err} in {text!r}") from None


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


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render every string inside a JSON-like value."""
    if isinstance(value, str):
        return render_string(value, context)
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def evaluate_condition(text: str, context: dict[str, Any]) -> bool:
    """An edge's `when`: `{{ expr }}` or a bare expression, judged by truthiness."""
    expr = whole_expression(text)
    if expr is None:
        expr = text
    value = render_string("{{" + expr + "}}", context)  # raises ExpressionError, never UndefinedError
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
