"""The wrapper every node activity runs in.

It checks where the node's config references secrets (workflows/secret_refs.py:
again here, a plan may be forged), resolves those secrets for the run's owner
(credentials/resolver.py: here, never in workflow code), renders the config,
validates it against the node type's schema, refuses to send a host-bound
secret elsewhere, runs the handler, scrubs secret values from what goes back
into history, enforces the output cap, and maps errors onto Temporal's retry
semantics. Its result (or failure) also says when the attempt ran and the
config it rendered, secrets masked (activities/attempt.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities import node_metrics
from activities.attempt import Attempt, MaskedSecrets
from core import expression_threads, logs
from core.settings import Settings, get_settings
from core.temporal import execution_id_of
from credentials.access import SecretUnavailable
from credentials.names import host_allowed
from credentials.resolver import Resolved, SecretResolver
from outbound import Outbound
from workflows.expressions import ExpressionError, ExpressionLimitError, render_value
from workflows.node_types import NodeType, not_rendered_fields
from workflows.plan import NodeCall, NodeOutcome
from workflows.secret_refs import node_problems

log = logging.getLogger(__name__)
HEARTBEAT_EVERY_S = 1.0


class NodeError(Exception):
    """A node failure with a stable code; `retryable` decides whether Temporal retries."""

    def __init__(self, code: str, message: str, *, retryable: bool = False,
                 retry_after_s: float | None = None):
        super().__init__(message)
        self.code, self.message, self.retryable, self.retry_after_s = code, message, retryable, retry_after_s


@dataclass
class ActivityDeps:
    """What handlers share: one settings object, one secret resolver, and the
    guarded way out (outbound/), from which each call takes its own HTTP client."""

    settings: Settings
    outbound: Outbound
    extras: dict[str, Any] = field(default_factory=dict)
    secrets: SecretResolver | None = None

    def __post_init__(self) -> None:
        if self.secrets is None:
            self.secrets = SecretResolver(self.settings)


class Secrets:
    """`secrets.NAME` in a config: the values resolved for this one node call
    (only names its config references). Every value is scrubbed from outputs
    and error messages, a second line of defence behind the placement rules."""

    def __init__(self, resolved: dict[str, Resolved] | None = None) -> None:
        self._values = {name: r.value for name, r in (resolved or {}).items()}
        self.names = frozenset(self._values)
        self.bindings = {name: r.allowed_hosts for name, r in (resolved or {}).items()}
        self.used: set[str] = set(self._values.values())

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._values:
            raise ExpressionError(f"secret {name!r} was not resolved for this node")
        return self._values[name]

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
        info = activity.info()
        logs.bind(execution_id=execution_id_of(info.workflow_id), node_id=call.node_id)
        with node_metrics.observed(node_type.name):
            return await attempt_node(call)

    async def attempt_node(call: NodeCall) -> NodeOutcome:
        attempt = Attempt.begin()
        # A local activity has no heartbeat: its workflow task is its liveness.
        heartbeat = asyncio.create_task(_heartbeat()) if not activity.info().is_local else None
        secrets = Secrets()
        try:
            secrets = Secrets(await _resolve_secrets(node_type, deps, call))
            output = await _run(node_type, handler, deps, call, secrets, attempt)
        except NodeError as err:
            message = secrets.scrub(err.message)
            # An expected failure (the node's own error): one line here, and BENIGN so
            # the SDK does not log each attempt again as a WARNING with a traceback.
            log.info("node %s (%s) attempt %d failed: %s: %r%s", call.node_id, node_type.name,
                     activity.info().attempt, err.code, message, " (retryable)" if err.retryable else "")
            raise ApplicationError(
                message, attempt.details(), type=err.code,
                non_retryable=not err.retryable,
                next_retry_delay=_seconds(err.retry_after_s),
                category=ApplicationErrorCategory.BENIGN,
            ) from None
        except Exception as err:  # noqa: BLE001 - unexpected: maybe transient, so retried
            # Only the type goes to history: an arbitrary message may quote
            # part of a secret (e.g. httpx's "Invalid port: '<password>'").
            log.warning("node %s (%s) raised %s", call.node_id, node_type.name, type(err).__name__)
            raise ApplicationError(f"unexpected {type(err).__name__} (see the worker log)",
                                   attempt.details(), type="internal_error") from None
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        output = secrets.scrub(output)
        size = len(json.dumps(output, default=str))
        cap = deps.settings.node_output_cap_bytes
        if size > cap:
            raise ApplicationError(f"output is {size} bytes, over the cap of {cap}",
                                   attempt.details(), type="output_too_large", non_retryable=True)
        return NodeOutcome(output=output, **attempt.details())

    return run_node


async def _resolve_secrets(node_type: NodeType, deps: ActivityDeps, call: NodeCall) -> dict[str, Resolved]:
    """The secrets the config references, each checked for where it appears
    first, then resolved with the access of the run's owner (None: an operator run)."""
    names, problems = node_problems(node_type, call.config)
    if problems:
        raise NodeError(problems[0].code, f"{problems[0].path}: {problems[0].message}")
    if not names:
        return {}
    try:
        return await deps.secrets.resolve(call.owner_id, names)
    except SecretUnavailable as err:
        raise NodeError(err.code, err.message) from None


async def _run(node_type: NodeType, handler: Handler, deps: ActivityDeps, call: NodeCall,
               secrets: Secrets, attempt: Attempt | None = None) -> Any:
    try:
        rendered = await _render_config(node_type, call.config, {**call.context, "secrets": secrets}, deps)
    except ExpressionLimitError as err:
        raise NodeError("expression_limit", str(err)) from None
    except ExpressionError as err:
        raise NodeError("expression_error", str(err)) from None
    if attempt is not None:
        attempt.show(await _shown(node_type, call, rendered, secrets, deps))
    try:
        config: BaseModel = node_type.config_model.model_validate(rendered)
    except ValidationError as err:
        # Never str(err): pydantic echoes the input, which may hold a secret.
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise NodeError("invalid_config", f"config after rendering is invalid: {problems}") from None
    check_bindings(node_type, config, deps.settings, secrets.bindings)
    return await handler(config, call, deps)


async def _shown(node_type: NodeType, call: NodeCall, rendered: Any, secrets: Secrets, deps: ActivityDeps) -> Any:
    """The rendered config as the debugger may show it: rendered again with
    every secret as `***` (the real values never enter it), then scrubbed of
    them anyway."""
    if secrets.names:
        try:
            rendered = await _render_config(node_type, call.config,
                                            {**call.context, "secrets": MaskedSecrets(secrets.names)}, deps)
        except ExpressionError:
            return None  # it rendered with the real values; showing nothing is the safe answer
    return secrets.scrub(rendered)


def check_bindings(node_type: NodeType, config: BaseModel, settings: Settings,
                   bindings: dict[str, tuple[str, ...]]) -> None:
    """A secret bound to hosts goes only to those hosts."""
    bound = {name: hosts for name, hosts in bindings.items() if hosts}
    if not bound:
        return
    host = node_type.destination(config, settings) if node_type.destination else None
    for name, hosts in sorted(bound.items()):
        if host is None:
            raise NodeError("secret_host_not_allowed",
                            f"secret {name!r} may only be sent to {', '.join(hosts)}, and where this node "
                            "sends it cannot be checked (follow_redirects is on, or the node has no destination)")
        if not host_allowed(host, hosts):
            raise NodeError("secret_host_not_allowed",
                            f"secret {name!r} may only be sent to {', '.join(hosts)}, not to {host!r}")


async def _render_config(node_type: NodeType, config: dict[str, Any], context: dict[str, Any],
                         deps: ActivityDeps | None) -> dict[str, Any]:
    """The config rendered, but for the fields its type uses as written
    (node_types.NOT_RENDERED: SQL text), which keep their raw text."""
    kept = not_rendered_fields(node_type.config_model)
    rendered = await _render({k: v for k, v in config.items() if k not in kept}, context, deps)
    return {key: config[key] if key in kept else rendered[key] for key in config}


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
