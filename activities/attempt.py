"""What one attempt of a node did, as the activity reports it into history
(its result, or its failure's details): when it ran, and the config it
rendered, with secrets masked, for the debugger (api/debugger/history.py).

Times are measured here rather than by the workflow, which learns of a
completion only at its next workflow task (one task often takes several
parallel completions, which would all get its time). From the second attempt
on, the node started at its first scheduling: its duration includes the
earlier attempts and their backoff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from workflows.expressions import ExpressionError

MASK = "***"
# The rendered config goes into history with every attempt's result: bounded
# (a body rendered from a large upstream output would double its size there).
RENDERED_CAP_BYTES = 32 * 1024


@dataclass
class Attempt:
    number: int
    started: datetime
    rendered: Any = None

    @classmethod
    def begin(cls) -> Attempt:
        info = activity.info()
        measured = datetime.now(UTC)
        return cls(info.attempt, measured if info.attempt == 1 else min(info.scheduled_time, measured))

    def show(self, rendered: Any) -> None:
        """Keeps the rendered config (already masked) for history, within the cap."""
        size = len(json.dumps(rendered, default=str))
        self.rendered = rendered if size <= RENDERED_CAP_BYTES else {
            "omitted": f"the rendered config is {size} bytes, over the {RENDERED_CAP_BYTES} kept for the debugger"}

    def details(self) -> dict[str, Any]:
        """NodeOutcome's fields, and the details of a failure."""
        return {"attempt": self.number, "started_at": self.started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(), "rendered": self.rendered}


class MaskedSecrets:
    """`secrets.NAME` rendering as `***`: the config is rendered a second time
    with these for display, so a secret's value never reaches what is shown."""

    def __init__(self, names) -> None:
        self._names = frozenset(names)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._names:
            raise ExpressionError(f"secret {name!r} was not resolved for this node")
        return MASK

    __getitem__ = __getattr__
