"""Logging of the API and the worker: JSON lines in production (text in
development; AGENTIC_LOG_FORMAT overrides), each record carrying the request
id, user id, execution id and node id it was logged under."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from datetime import UTC, datetime
from collections.abc import Iterator
from typing import Any

from core.settings import Settings
from core.temporal import execution_id_of

CONTEXT_FIELDS = ("request_id", "user_id", "execution_id", "node_id")
_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"agentic_log_{name}", default=None) for name in CONTEXT_FIELDS}


def bind(**values: str | None) -> None:
    """What the current task's records carry from now on (a request, an activity)."""
    for name, value in values.items():
        _context[name].set(value)


@contextlib.contextmanager
def bound(**values: str | None) -> Iterator[None]:
    """`bind` for a block: the values before it are back afterwards, so a
    caller that runs requests in its own task (an ASGI test client) does not
    carry one request's ids into what it logs next."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in values.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context on every record; the SDK's own records name their
    workflow in `temporal_activity` / `temporal_workflow`, which gives the execution."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, _context[name].get())
        if record.execution_id is None:
            sdk = getattr(record, "temporal_activity", None) or getattr(record, "temporal_workflow", None)
            if isinstance(sdk, dict) and sdk.get("workflow_id"):
                record.execution_id = execution_id_of(str(sdk["workflow_id"]))
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str):
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "process": self.process,
            "message": record.getMessage(),
        }
        line.update({name: value for name in CONTEXT_FIELDS if (value := getattr(record, name, None))})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{n}={v}" for n in CONTEXT_FIELDS if (v := getattr(record, n, None)))
        text = super().format(record)
        return f"{text} [{context}]" if context else text


def configure(settings: Settings, process: str) -> None:
    """The root logger's one handler; libraries' loggers (uvicorn, temporalio) propagate to it."""
    fmt = settings.log_format or ("json" if settings.is_production else "text")
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter(process) if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
