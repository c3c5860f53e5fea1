"""The Jinja2 sandbox expressions run in, with the limits of
workflows/expression_limits.py wired into evaluation itself.

Hooks: every filter is wrapped (a step; its arguments and result charged and
size-checked; amplifying arguments checked first); every call goes through
`call` (the same, plus method amplifiers such as str.replace and center);
`+ * ** %` go through `call_binop`; the code generator counts each `{% for %}`
iteration, checks every operand and result of `~`, caps block output as it
grows, and refuses macros, call blocks and recursive loops (they recurse);
`finalize` checks every `{{ }}` value before it becomes text. Attribute
access is refused on anything private and on type objects (`dict.fromkeys`).
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Iterator, Sized
from numbers import Number
from typing import Any

from jinja2 import Environment, StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, operators, optimizeconst
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, safe_range
from markupsafe import Markup

from workflows.expression_limits import (
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_SIZE,
    MAX_STEPS,
    ExpressionError,
    ExpressionLimitError,
    check_result,
    current,
    expanded_size,
    indented_json_size,
    indented_size,
    joined_size,
    linked_size,
    printf_size,
    refuse_size,
    replaced_size,
    size_of,
    spec_width,
    translated_size,
    width_size,
    wrapped_size,
)

_BOUND = (types.BuiltinMethodType, types.MethodType)


# -- code generation -------------------------------------------------------------

class _CodeGenerator(CodeGenerator):
    def visit_For(self, node: nodes.For, frame) -> None:
        if node.recursive:
            raise ExpressionError("unsafe expression: recursive loops are not allowed")
        # `for x in environment.counted(<iterable>)`: every item costs a step.
        node.iter = nodes.Call(nodes.EnvironmentAttribute("counted"), [node.iter], [], None, None,
                               lineno=node.lineno)
        super().visit_For(node, frame)

    @optimizeconst
    def visit_Compare(self, node: nodes.Compare, frame) -> None:
        # `in` and `==` on containers walk them: each operand is charged.
        self.write("(environment.limited(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.visit(op, frame)
        self.write(")")

    def visit_Operand(self, node: nodes.Operand, frame) -> None:
        self.write(f" {operators[node.op]} environment.limited(")
        self.visit(node.expr, frame)
        self.write(")")

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            return super().visit_Getitem(node, frame)
        self.write("environment.limited(")  # a slice is a copy
        super().visit_Getitem(node, frame)
        self.write(")")

    def visit_Macro(self, node, frame) -> None:
        raise ExpressionError("unsafe expression: macros ({% macro %}) are not allowed")

    def visit_CallBlock(self, node, frame) -> None:
        raise ExpressionError("unsafe expression: call blocks ({% call %}) are not allowed")

    def buffer(self, frame) -> None:
        # `{% set x %}...{% endset %}` and `{% filter %}` collect text here.
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        # Jinja's, with each operand checked before it becomes text and the result after.
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"environment.limited({func_name}((")
        for arg in node.nodes:
            self.write("environment.limited(")
            self.visit(arg, frame)
            self.write("), ")
        self.write(")))")


class _Counted:
    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __len__(self) -> int:  # loop.length
        return len(self._items)

    def __iter__(self):
        budget = current()
        for item in self._items:
            budget.step()
            yield item


class OutputBuffer(list):
    """A block's text, capped as it grows (not once joined)."""

    def __init__(self) -> None:
        super().__init__()
        self._size = 0

    def _grow(self, size: int) -> None:
        self._size += size
        refuse_size(self._size, "a block's output")

    def append(self, text: str) -> None:
        self._grow(len(text))
        super().append(text)

    def extend(self, texts) -> None:
        texts = tuple(texts)
        self._grow(sum(len(text) for text in texts))
        super().extend(texts)


# -- str.format ---------------------------------------------------------------

class _LimitedFields:
    """Checks each field's width before formatting it and the running length after."""

    _written = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        refuse_size(spec_width(format_spec), "a format field")
        text = super().format_field(value, format_spec)
        self._written += len(text)
        refuse_size(self._written, "a formatted string")
        return text


class _Formatter(_LimitedFields, SandboxedFormatter):
    pass


class _EscapeFormatter(_LimitedFields, SandboxedEscapeFormatter):
    pass


# -- amplifiers ---------------------------------------------------------------

def _bytes_size(number: Any, length: Any = 1, *_: Any, **__: Any) -> int | None:
    return length if isinstance(length, int) else None


_METHOD_SIZES = {  # bound method name -> size of the result from (owner, *args)
    "replace": replaced_size, "center": width_size, "ljust": width_size, "rjust": width_size,
    "zfill": width_size, "expandtabs": expanded_size, "join": joined_size, "translate": translated_size,
}


def _method_size(method: Any, owner: Any, args: tuple, kwargs: dict) -> int | None:
    if isinstance(owner, (str, bytes)):
        size = _METHOD_SIZES.get(method.__name__)
    elif isinstance(owner, int) and method.__name__ == "to_bytes":
        size = _bytes_size
    else:
        return None
    try:
        return size(owner, *args, **kwargs) if size else None
    except TypeError:
        return None  # wrong arguments: the call itself says so


def _sum_start(start: Any) -> None:
    # Adding lists or strings is quadratic; sum is for numbers.
    if not isinstance(start, Number):
        raise ExpressionError("the sum filter adds numbers (use join for strings)")


_FILTER_SIZES = {  # filter -> size of its result, from its bound arguments
    "replace": lambda a: replaced_size(str(a["s"]), str(a["old"]), str(a["new"]),
                                       -1 if a["count"] is None else a["count"]),
    "center": lambda a: width_size(str(a["value"]), a["width"]),
    "indent": lambda a: indented_size(str(a["s"]), a["width"]),
    "wordwrap": lambda a: wrapped_size(str(a["s"]), a["width"], a["wrapstring"]),
    "urlize": lambda a: linked_size(str(a["value"]), a["target"], a["rel"]),
    "format": lambda a: printf_size(a["value"], a["kwargs"] or a["args"]),
    "join": lambda a: joined_size(a["d"], a["value"]),
    "batch": lambda a: a["linecount"] if isinstance(a["linecount"], int) else None,
    "slice": lambda a: a["slices"] if isinstance(a["slices"], int) else None,
    "tojson": lambda a: (indented_json_size(a["value"], a["indent"]) if isinstance(a["indent"], int)
                         else indented_json_size(a["value"], len(a["indent"])) if isinstance(a["indent"], str)
                         else None),
    "sum": lambda a: _sum_start(a["start"]),
}


# Filters that run Python code per item of their value cost a step per item,
# like the loop they stand for: up front when the value has a length, else as
# the items they yield. Text filters that work per word or line in Python (or
# scan with a heavy regex) cost a step per TEXT_STEP characters.
_PER_ITEM = frozenset({"sort", "groupby", "dictsort", "min", "max", "sum", "join", "xmlattr", "unique",
                       "map", "select", "reject", "selectattr", "rejectattr", "batch", "slice", "items"})
_PER_SLOT = frozenset({"pprint"})
_PER_TEXT = frozenset({"title", "wordwrap", "urlize", "urlencode", "indent", "striptags"})
TEXT_STEP = 10


def _upfront_steps(name: str, value: Any) -> int:
    if name in _PER_ITEM:
        return len(value) if isinstance(value, Sized) else 0
    if name in _PER_SLOT:
        return size_of(value, MAX_STEPS)
    if name in _PER_TEXT and isinstance(value, str):
        return len(value) // TEXT_STEP
    return 0


def _counted_yield(items: Iterator) -> Iterator:
    budget = current()
    for item in items:
        budget.step()
        yield item


_PASSED = (Context, EvalContext, Environment)  # what Jinja hands a filter before its value


def _data_signature(func: Any) -> inspect.Signature:
    """The filter's own parameters, without the context Jinja may pass first."""
    signature = inspect.signature(func)  # follows Jinja's async_variant wrappers
    params = list(signature.parameters.values())
    if params and params[0].name in ("context", "eval_ctx", "environment", "env"):
        signature = signature.replace(parameters=params[1:])
    return signature


def _metered(name: str, func: Any) -> Any:
    """A filter that costs a step (and more for per-item ones), whose arguments
    and result are charged, and whose amplifying arguments are checked first."""
    size_of_result = _FILTER_SIZES.get(name)
    signature = _data_signature(func)
    first = next(iter(signature.parameters), None)

    @functools.wraps(func)  # keeps Jinja's pass_context/pass_environment marks
    def metered(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        for value in (*args, *kwargs.values()):
            budget.checked(value)
        data_args = args[1:] if args and isinstance(args[0], _PASSED) else args
        value = data_args[0] if data_args else kwargs.get(first)
        paid = _upfront_steps(name, value)
        budget.step(1 + paid)
        if size_of_result is not None:
            try:
                bound = signature.bind(*data_args, **kwargs)
            except TypeError:
                pass  # the filter reports its own bad arguments
            else:
                bound.apply_defaults()
                check_result(size_of_result(bound.arguments), f"the {name} filter's result")
        result = func(*args, **kwargs)
        if isinstance(result, Iterator):  # lazy: map, select, reverse, ...
            return result if paid else _counted_yield(result)
        return budget.checked(result)

    return metered


def _metered_test(func: Any) -> Any:
    """A test (`is in`, `is sameas`, ...): a step, its arguments charged."""

    @functools.wraps(func)
    def metered(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.step()
        for value in (*args, *kwargs.values()):
            budget.checked(value)
        return func(*args, **kwargs)

    return metered


def _binop_size(operator: str, left: Any, right: Any) -> int | None:
    if operator == "**" and isinstance(left, Number) and isinstance(right, Number):
        if abs(right) > MAX_EXPONENT and abs(left) > 1:
            raise ExpressionLimitError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            _refuse_bits(left.bit_length() * right)
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            _refuse_bits(left.bit_length() + right.bit_length())
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int) \
                    and len(seq) * times > MAX_SIZE:
                raise ExpressionLimitError(f"repetition longer than {MAX_SIZE} items")
    if operator == "+" and isinstance(left, (str, bytes, list, tuple)) and type(left) is type(right):
        return len(left) + len(right)
    if operator == "%" and isinstance(left, (str, bytes)):
        return printf_size(left, right)
    return None


def _refuse_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ExpressionLimitError(f"a number is over the limit of {MAX_INT_BITS} bits")


# -- the environment ------------------------------------------------------------

class _Env(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    # Operators a user could use to pin a thread or its memory.
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Everything private is off limits, not only what Jinja2 deems unsafe;
        # so are classes and what they construct from an instance ({}.fromkeys).
        if attr.startswith("_") or isinstance(obj, type):
            return False
        if isinstance(value, _BOUND) and isinstance(value.__self__, type):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(self, context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.step()
        owner = obj.__self__ if isinstance(obj, _BOUND) else None
        for value in (owner, *args, *kwargs.values()):
            budget.checked(value)
        size = _method_size(obj, owner, args, kwargs)
        if size is not None:
            refuse_size(size, f"the result of {obj.__name__}()")
        return budget.checked(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        check_result(_binop_size(operator, left, right), f"the result of {operator!r}")
        return current().checked(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any):
        """Jinja's, with a formatter that checks widths and the length it writes."""
        if not isinstance(value, _BOUND) or value.__name__ not in ("format", "format_map") \
                or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one positional argument")
                args, kwargs = (), args[0]
            formatter = (_EscapeFormatter(self, escape=text.escape) if isinstance(text, Markup)
                         else _Formatter(self))
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    # Called from the generated code (see _CodeGenerator).
    counted = staticmethod(_Counted)
    output_buffer = staticmethod(OutputBuffer)

    @staticmethod
    def limited(value: Any) -> Any:
        return current().checked(value)


def _finalize(value: Any) -> Any:
    """Every `{{ }}` value, checked before it is turned into text."""
    return current().checked(value)


ENV = _Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize)
# Only plain data helpers: no lipsum/cycler/joiner objects to poke at.
ENV.globals = {"range": safe_range, "dict": dict}  # safe_range caps huge ranges
# Evaluation must be deterministic: the interpreter replays edge conditions.
del ENV.filters["random"]
ENV.filters = {name: _metered(name, func) for name, func in ENV.filters.items()}
ENV.tests = {name: _metered_test(func) for name, func in ENV.tests.items()}
