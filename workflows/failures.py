"""How a failed run ends in Temporal, and how its summary is read back.

The Temporal Web UI shows a failed workflow's failure as its result: the
message, the type, the details, the stack trace. So a failed graph run fails
with our error code as the type and our message, `details` = (the structured
error, the run's summary), and no stack trace (core/temporal.py's failure
converter drops it: it would only list the interpreter's and the SDK's frames).

Runs that failed before this (`workflow.patched("failure-carries-code")` in
GraphWorkflow) ended with type `GraphFailed` and `details` = (the summary,):
`summary_of` reads both.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError

LEGACY_TYPE = "GraphFailed"


class RunFailed(ApplicationError):
    """The end of a failed graph run: never retried (the run's outcome is fixed)."""

    def __init__(self, error: dict[str, Any], summary: dict[str, Any]):
        super().__init__(error["message"], error, summary, type=error.get("code") or "failed",
                         non_retryable=True)


def summary_of(failure: BaseException | None) -> dict[str, Any] | None:
    """The run's summary (GraphResult as JSON) carried by a failed run's
    failure (`WorkflowFailureError.cause`), or None: a timeout, a termination,
    a refused launch carry none."""
    details = getattr(failure, "details", None) or ()
    if getattr(failure, "type", None) == LEGACY_TYPE and details:
        return details[0]
    if len(details) == 2 and isinstance(details[1], dict) and "nodes" in details[1]:
        return details[1]
    return None
