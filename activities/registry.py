"""The handler of each activity-run node type. The types' metadata (config
models, defaults, privileges) is in workflows/registry.py; a handler is
`async def run(config, call, deps)` and runs inside activities/base.py's wrapper."""

from __future__ import annotations

from collections.abc import Callable

from activities import compliance_scan, condition, http_request, llm, notify, shell, sql, transform
from activities.base import ActivityDeps, Handler, node_activity
from workflows.registry import REGISTRY

HANDLERS: dict[str, Handler] = {
    "http_request": http_request.run,
    "transform": transform.run,
    "condition": condition.run,
    "llm": llm.run,
    "shell": shell.run,
    "compliance_scan": compliance_scan.run,
    "sql": sql.run,
    "notify": notify.run,
}


def node_activities(deps: ActivityDeps) -> list[Callable]:
    return [node_activity(REGISTRY[name], handler, deps) for name, handler in HANDLERS.items()]
