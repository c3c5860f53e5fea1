"""User expressions evaluated off the event loop, with a wall-clock deadline.

The API and the worker run one event loop each; an expression evaluated on it
would stall every other request or node meanwhile. Here it runs in a small
pool of threads under one budget (workflows/expression_limits.py) plus a
deadline that the sandbox checks at every step, so the thread gives up soon
after it. Parsing and validating a large definition's expressions (seconds
of CPU for a 1 MB body) runs here too, without a budget (`offload`). Workflow
code never comes here: it has no clock and no threads and relies on the
deterministic limits alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from workflows.expressions import evaluation, is_template, iter_strings

T = TypeVar("T")
# A pool of its own: heavy expressions must not queue the loop's default
# executor (DNS lookups run there).
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="expressions")
_lock = threading.Lock()
_running = 0


def running() -> int:
    """Jobs executing in the pool right now (for tests and diagnostics)."""
    return _running


async def evaluate(fn: Callable[..., T], /, *args: Any, timeout_s: float, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in the pool, every expression inside it sharing
    one budget with a deadline of `timeout_s` seconds."""
    return await offload(_under_budget, fn, args, kwargs, timeout_s)


async def offload(fn: Callable[..., T], /, *args: Any) -> T:
    """`fn(*args)` in the pool: for CPU work on user input that evaluates
    nothing (parsing and validating a definition's expressions)."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, _counted, fn, args)


def _under_budget(fn: Callable[..., T], args: tuple, kwargs: dict, timeout_s: float) -> T:
    with evaluation(timeout_s):
        return fn(*args, **kwargs)


def _counted(fn: Callable[..., T], args: tuple) -> T:
    global _running
    with _lock:
        _running += 1
    try:
        return fn(*args)
    finally:
        with _lock:
            _running -= 1


def has_templates(value: Any) -> bool:
    """Whether rendering `value` evaluates anything (if not, no thread is needed)."""
    return any(is_template(text) for _, text in iter_strings(value, "$"))
