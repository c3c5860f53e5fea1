"""How the interpreter runs in Temporal's sandbox: the worker runs it so, and
the debugger's Replayer (api/debugger/recorder.py) replays it the same way."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# Deterministic libraries the interpreter uses, loaded once instead of per run
# (Jinja2 keeps a lock-guarded template cache the sandbox would refuse).
PASSTHROUGH_MODULES = ("workflows", "jinja2", "markupsafe", "jsonschema", "referencing", "rpds", "pydantic")


def workflow_runner(*also_passthrough: str) -> SandboxedWorkflowRunner:
    """`also_passthrough`: more modules to load outside the sandbox (the
    debugger's, so what it records outlives the sandbox)."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH_MODULES, *also_passthrough))
