"""Hard limits on one expression evaluation, so a user's template cannot pin a
thread or exhaust memory.

Every evaluation (one node config, one condition, one debugger step) holds a
`Budget` in a context variable. Loop iterations and filter/method calls are
steps; the size of every value a filter, call or operator takes or gives back
is charged as data; no single value, and no output, may exceed MAX_SIZE.
Operations that build a large value from small inputs (replace, center, '%'
and format widths, join, ...) are checked BEFORE they allocate, everything
else right after. The budget only counts, it never reads a clock, so workflow
code can evaluate edge conditions under it and a replay reaches the same
verdict; callers that may read a clock (activities, the API) add a deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MAX_SIZE = 1_000_000  # characters of a string, items of a list/dict, counted through nesting
MAX_STEPS = 100_000  # loop iterations + filter and method calls, per evaluation
MAX_DATA = 10_000_000  # sizes of all values filters, calls and operators took or gave back
MAX_EXPONENT = 1_000
MAX_INT_BITS = 100_000  # ~30,000 decimal digits


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message is for users."""


class ExpressionLimitError(ExpressionError):
    """An evaluation over one of the hard limits (nodes report `expression_limit`)."""


YIELD_EVERY_S = 0.001  # how often a timed evaluation offers the GIL to other threads


class Budget:
    def __init__(self, timeout_s: float | None = None) -> None:
        self.steps = 0
        self.data = 0
        self.timeout_s = timeout_s
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self._yielded_at = 0.0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise ExpressionLimitError(
                f"expression over the limit of {MAX_STEPS} steps (loop iterations, filter and method calls)")
        if self._deadline is not None:
            self._timed()

    def checked(self, value: Any) -> Any:
        """Charges the value's size; refuses one over MAX_SIZE, or a total over MAX_DATA."""
        size = size_of(value, min(MAX_SIZE, MAX_DATA - self.data))
        refuse_size(size, "a value")
        self.data += size
        if self.data > MAX_DATA:
            raise ExpressionLimitError(
                f"expression over the limit of {MAX_DATA} items and characters processed")
        if self._deadline is not None:
            self._timed()
        return value

    def _timed(self) -> None:
        """Only where a clock is allowed (a thread of the API or the worker):
        the deadline, and every few milliseconds the GIL offered to the event
        loop's thread, which would otherwise wait a whole switch interval
        (5 ms) behind each busy expression thread."""
        now = time.monotonic()
        if now > self._deadline:
            raise ExpressionLimitError(f"expression over the time limit of {self.timeout_s:g} s")
        if now - self._yielded_at > YIELD_EVERY_S:
            self._yielded_at = now
            time.sleep(0)


_CURRENT: ContextVar[Budget] = ContextVar("expression_budget")


@contextmanager
def evaluation(timeout_s: float | None = None) -> Iterator[Budget]:
    """One budget for everything evaluated inside; a nested evaluation shares
    the outer one (a config's strings, a debugger step's conditions)."""
    outer = _CURRENT.get(None)
    if outer is not None:
        yield outer
        return
    budget = Budget(timeout_s)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current() -> Budget:
    """The active budget. Outside an evaluation this raises (LookupError), so
    Jinja's compile-time constant folding never runs a filter unmetered."""
    return _CURRENT.get()


def refuse_size(size: int, what: str) -> None:
    if size > MAX_SIZE:
        raise ExpressionLimitError(f"{what} is over the limit of {MAX_SIZE} characters or items")


_SCALARS = frozenset({int, float, bool, type(None)})
_DICT_VIEWS = (KeysView, ValuesView, ItemsView)


def size_of(value: Any, cap: int = MAX_SIZE) -> int:
    """Characters of strings plus slots of containers, through nesting; an item
    shared N times counts N times (printing it costs that much). Counting stops
    once over `cap`, so the walk itself stays within the budget."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, (str, bytes, bytearray, range)):
            total += len(item)
            continue
        if isinstance(item, dict):
            total += 2 * len(item)
            items = (*item.keys(), *item.values()) if total <= cap else ()
        elif isinstance(item, (list, tuple, set, frozenset, *_DICT_VIEWS)):
            total += len(item)
            items = item if total <= cap else ()
        else:
            continue
        for inner in items:  # the hot loop: scalars and strings without a push
            kind = type(inner)
            if kind is str:
                total += len(inner)
            elif kind not in _SCALARS:
                pending.append(inner)
        if total > cap:
            return total
    return total


def indented_json_size(value: Any, indent: int, cap: int = MAX_SIZE) -> int:
    """An upper bound of `tojson(indent=n)`'s length before it is built: each
    slot starts a line indented by n per nesting level."""
    total, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            total += 6 * len(item) + 2  # \uXXXX escapes and quotes
        elif isinstance(item, dict):
            total += 2 * len(item) * (indent * depth + 4)
            pending.extend((v, depth + 1) for v in item.values())
            pending.extend((k, depth + 1) for k in item.keys())
        elif isinstance(item, (list, tuple)):
            total += len(item) * (indent * depth + 2)
            pending.extend((v, depth + 1) for v in item)
        else:
            total += 32
        if total > cap:
            return total
    return total


# -- amplifiers: the size of the result, worked out before it is built --------

def replaced_size(s: Any, old: Any, new: Any, count: Any = -1) -> int | None:
    if not (isinstance(s, (str, bytes)) and type(old) is type(new) and isinstance(old, type(s))):
        return None  # the call itself reports the bad arguments
    if len(new) <= len(old) or count == 0:
        return len(s)
    hits = len(s) + 1 if not old else s.count(old)
    if isinstance(count, int) and count > 0:
        hits = min(hits, count)
    return len(s) + hits * (len(new) - len(old))


def joined_size(separator: Any, items: Any) -> int | None:
    if not isinstance(items, (list, tuple, str, dict, set, frozenset, range, KeysView, ValuesView, ItemsView)):
        return None  # an iterator: its items were each checked as they were made
    return size_of(items, MAX_SIZE) + max(len(items) - 1, 0) * len(str(separator))


def width_size(s: Any, width: Any, *_: Any) -> int | None:
    """center/ljust/rjust/zfill: the result is as long as the width."""
    return max(len(s), width) if isinstance(width, int) and isinstance(s, (str, bytes)) else None


def expanded_size(s: Any, tabsize: Any = 8) -> int | None:
    if not isinstance(s, (str, bytes)) or not isinstance(tabsize, int):
        return None
    return len(s) + s.count("\t" if isinstance(s, str) else b"\t") * max(tabsize, 0)


def translated_size(s: Any, table: Any) -> int | None:
    if not isinstance(s, str):
        return None
    values = table.values() if isinstance(table, dict) else table if isinstance(table, (list, tuple)) else ()
    longest = max((len(v) for v in values if isinstance(v, str)), default=1)
    return len(s) * max(longest, 1)


def indented_size(s: Any, width: Any) -> int | None:
    """The `indent` filter: every line gains the indentation (a width or a string)."""
    if not isinstance(s, str):
        return None
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    return len(s) + (s.count("\n") + 2) * max(pad, 0)


def wrapped_size(s: Any, width: Any, wrapstring: Any) -> int | None:
    """The `wordwrap` filter: greedy wrapping makes fewer than 2 * len / width
    lines per paragraph, each joined by `wrapstring`."""
    if not isinstance(s, str) or not isinstance(width, int) or width < 1:
        return None
    joiner = len(wrapstring) if isinstance(wrapstring, str) else 1
    lines = min(len(s), 2 * len(s) // width) + s.count("\n") + 2
    return len(s) + lines * joiner


def linked_size(s: Any, target: Any, rel: Any) -> int | None:
    """The `urlize` filter: each word may become `<a href="word" ...>word</a>`."""
    if not isinstance(s, str):
        return None
    extra = sum(len(x) for x in (target, rel) if isinstance(x, str))
    return 2 * len(s) + len(s.split()) * (64 + extra)


def spec_width(spec: str) -> int:
    """A str.format spec (`>10`, `0=+{w}.3f` once resolved): the digits in it
    bound the field's width and precision."""
    return sum(int(digits) for digits in re.findall(r"[0-9]+", spec))


def printf_size(fmt: Any, args: Any) -> int | None:
    """An upper bound of `fmt % args` (the `%` operator, the `format` filter),
    reading widths and precisions the way Python does; '*' is refused because
    its value would come from the arguments."""
    if isinstance(fmt, bytes):
        fmt = fmt.decode("latin-1")
    if not isinstance(fmt, str):
        return None
    widths, specs, i, n = 0, 0, 0, len(fmt)
    while (i := fmt.find("%", i)) >= 0:
        i += 1
        if i < n and fmt[i] == "(":  # a mapping key: nested parentheses count
            depth, i = 1, i + 1
            while i < n and depth:
                depth += {"(": 1, ")": -1}.get(fmt[i], 0)
                i += 1
        while i < n and fmt[i] in "-#0 +":
            i += 1
        for part in ("width", "precision"):
            if i < n and fmt[i] == "*":
                raise ExpressionLimitError("'*' widths and precisions are not allowed in '%' formats")
            start = i
            while i < n and fmt[i] in "0123456789":
                i += 1
            widths += int(fmt[start:i] or 0)
            if part == "width" and i < n and fmt[i] == ".":
                i += 1
            else:
                break
        while i < n and fmt[i] in "hlL":
            i += 1
        if i < n and fmt[i] != "%":
            specs += 1
        i += 1
    # A mapping lets every spec print the largest value; a tuple is consumed once.
    repeats = specs if isinstance(args, dict) else 1
    return len(fmt) + widths + repeats * size_of(args, MAX_SIZE)


def check_result(size: int | None, what: str) -> None:
    if size is not None:
        refuse_size(size, what)
