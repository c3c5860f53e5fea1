"""The wrapper every node activity runs in.

It renders the node's config with secrets (here, never in workflow code),
validates it against the node type's schema, runs the handler, scrubs secret
values from what goes back into history, enforces the output cap, and maps
errors onto Temporal's retry semantics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import timedelta
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import expression_threads
from core.settings import Settings, get_settings
from workflows.expressions import ExpressionError, ExpressionLimitError, render_value
from workflows.node_types import NodeType
from workflows.plan import NodeCall, NodeOutcome

log = logging.getLogger(__name__)
SECRET_ENV_PREFIX = "AGENTIC_SECRET_"
HEARTBEAT_EVERY_S = 1.0


class NodeError(Exception):
    """A node failure with a stable code; `retryable` decides whether Temporal retries."""

    def __init__(self, code: str, message: str, *, retryable: bool = False,
                 retry_after_s: float | None = None):
        super().__init__(message)
        self.code, self.message, self.retryable, self.retry_after_s = code, message, retryable, retry_after_s


@dataclass
class ActivityDeps:
    """What handlers share: one settings object, one pooled HTTP client."""

    settings: Settings
    http: httpx.AsyncClient
    extras: dict[str, Any] = field(default_factory=dict)


class Secrets:
    """`secrets.NAME` reads AGENTIC_SECRET_NAME from the worker's environment and
    remembers each value it handed out so outputs can be scrubbed of it."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        value = os.environ.get(SECRET_ENV_PREFIX + name)
        if value is None:
            raise ExpressionError(f"secret {name!r} is not set (set {SECRET_ENV_PREFIX}{name} on the worker)")
        self.used.add(value)
        return value

    __getitem__ = __getattr__

    def scrub(self, value: Any) -> Any:
        if not self.used:
            return value
        if isinstance(value, str):
            for secret in self.used:
                if secret:
                    value = value.replace(secret, "***")
            return value
        if isinstance(value, dict):
            return {self.scrub(key): self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


Handler = Callable[[Any, NodeCall, ActivityDeps], Awaitable[Any]]


def node_activity(node_type: NodeType, handler: Handler, deps: ActivityDeps) -> Callable:
    @activity.defn(name=node_type.activity_name)
    async def run_node(call: NodeCall) -> NodeOutcome:
        attempt = activity.info().attempt
        secrets = Secrets()
        heartbeat = asyncio.create_task(_heartbeat())
        try:
            output = await _run(node_type, handler, deps, call, secrets)
        except NodeError as err:
            raise ApplicationError(
                secrets.scrub(err.message), {"attempt": attempt}, type=err.code,
                non_retryable=not err.retryable,
                next_retry_delay=_seconds(err.retry_after_s),
            ) from None
        except Exception as err:  # noqa: BLE001 - unexpected: maybe transient, so retried
            # Only the type goes to history: an arbitrary message may quote
            # part of a secret (e.g. httpx's "Invalid port: '<password>'").
            log.warning("node %s (%s) raised %s", call.node_id, node_type.name, type(err).__name__)
            raise ApplicationError(f"unexpected {type(err).__name__} (see the worker log)",
                                   {"attempt": attempt}, type="internal_error") from None
        finally:
            heartbeat.cancel()
        output = secrets.scrub(output)
        size = len(json.dumps(output, default=str))
        cap = deps.settings.node_output_cap_bytes
        if size > cap:
            raise ApplicationError(f"output is {size} bytes, over the cap of {cap}",
                                   {"attempt": attempt}, type="output_too_large", non_retryable=True)
        return NodeOutcome(output=output, attempt=attempt)

    return run_node


async def _run(node_type: NodeType, handler: Handler, deps: ActivityDeps, call: NodeCall, secrets: Secrets) -> Any:
    try:
        rendered = await _render(call.config, {**call.context, "secrets": secrets}, deps)
    except ExpressionLimitError as err:
        raise NodeError("expression_limit", str(err)) from None
    except ExpressionError as err:
        raise NodeError("expression_error", str(err)) from None
    try:
        config: BaseModel = node_type.config_model.model_validate(rendered)
    except ValidationError as err:
        # Never str(err): pydantic echoes the input, which may hold a secret.
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise NodeError("invalid_config", f"config after rendering is invalid: {problems}") from None
    return await handler(config, call, deps)


async def _render(config: Any, context: dict[str, Any], deps: ActivityDeps | None) -> Any:
    """Templates render in the expression threads (never on the worker's event
    loop, which runs every other node meanwhile), under a deadline."""
    if not expression_threads.has_templates(config):
        return config
    settings = deps.settings if deps is not None else get_settings()  # unit tests pass no deps
    return await expression_threads.evaluate(render_value, config, context,
                                             timeout_s=settings.expression_timeout_s)


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value else None


async def _heartbeat() -> None:
    """Lets Temporal notice a dead worker within the heartbeat timeout and
    deliver cancellation (a failed sibling) to long-running nodes."""
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY_S)
        activity.heartbeat()
