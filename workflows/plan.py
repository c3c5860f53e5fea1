"""The compiled plan: what GraphWorkflow receives as its input, self-contained
so that later edits of the definition never touch a running execution."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from workflows.approvals import ApprovalState

PLAN_FORMAT = 1

NodeState = Literal["pending", "running", "waiting", "paused", "succeeded", "failed", "skipped", "cancelled"]
TERMINAL_STATES = frozenset({"succeeded", "failed", "skipped", "cancelled"})


class RetryPlan(BaseModel):
    max_attempts: int
    initial_interval_s: float
    backoff: float
    max_interval_s: float


class NodePlan(BaseModel):
    id: str
    type: str
    kind: Literal["activity", "workflow"]
    activity: str | None = None
    # A pure node's activity runs as a local activity (fixed when the plan is
    # compiled, so a run keeps the same commands whatever the registry says later).
    local: bool = False
    config: dict[str, Any]
    retry: RetryPlan
    timeout_s: float
    continue_on_error: bool = False
    upstream: list[str] = Field(default_factory=list, description="direct predecessors")
    reads: list[str] = Field(default_factory=list, description="nodes whose results expressions read")
    child: Plan | None = None


class EdgePlan(BaseModel):
    source: str
    target: str
    when: str | None = None


class Plan(BaseModel):
    format: int = PLAN_FORMAT
    name: str
    workflow_id: str | None = None
    version: int | None = None
    inputs_schema: dict[str, Any] | None = None
    nodes: list[NodePlan] = Field(description="in topological order")
    edges: list[EdgePlan]
    output_cap_bytes: int = 256 * 1024


class NodeSummary(BaseModel):
    state: NodeState = "pending"
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    output: Any = None
    error: dict[str, Any] | None = None
    reused: bool = Field(False, description="settled from a source execution's record, not run")
    reused_from: str | None = Field(None, description="a reused node: the execution that ran it")
    input_digest: str | None = Field(None, description="of the resolved input it ran with (workflows/reuse.py)")


class DebugOptions(BaseModel):
    breakpoints: list[str] = Field(default_factory=list, description="pause before these nodes")


class DebugCommand(BaseModel):
    mode: Literal["continue", "step"] = "continue"
    issued_at: str | None = None
    signature: str | None = Field(None, description="the API's (workflows/signatures.py), bound to the workflow id")


class GraphInput(BaseModel):
    plan: Plan
    inputs: dict[str, Any] = Field(default_factory=dict)
    execution_id: str
    record: bool = Field(False, description="write the execution's summary row to PostgreSQL")
    started_by: str | None = Field(None, description="user name; may not approve unless allowed")
    owner_id: str | None = Field(None, description="user id the run acts for: secrets resolve with this "
                                                   "user's access; None: an operator run (CLI)")
    gate: dict[str, Any] | None = Field(None, description="approval config in front of the whole run")
    debug: DebugOptions | None = None
    reuse: dict[str, NodeSummary] = Field(default_factory=dict,
                                          description="rerun: recorded results settled without running")
    source_execution_id: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict,
                                 description="platform workflow id, version, owner, schedule id: for records")
    signature: str | None = Field(None, description="the API's over every other field (workflows/signatures.py)")


class GraphResult(BaseModel):
    execution_id: str
    status: Literal["awaiting_approval", "running", "succeeded", "failed", "cancelled"]
    nodes: dict[str, NodeSummary]
    approvals: list[ApprovalState] = Field(default_factory=list)
    paused_at: list[str] = Field(default_factory=list, description="nodes held at a live breakpoint")
    meta: dict[str, Any] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    duration_ms: float | None = None
    error: dict[str, Any] | None = None


NodePlan.model_rebuild()


class NodeCall(BaseModel):
    """What a node activity receives: its raw config (templates unrendered, so
    secrets are resolved inside the activity only) and the results it reads."""

    execution_id: str
    node_id: str
    node_type: str
    config: dict[str, Any]
    context: dict[str, Any]
    owner_id: str | None = Field(None, description="GraphInput.owner_id: whose secrets the node may use")


class NodeOutcome(BaseModel):
    output: Any = None
    attempt: int = 1
    # Measured by the activity itself (activities/base.py): the workflow sees
    # completions only at its next workflow task, which several nodes share.
    started_at: str | None = Field(None, description="when the node's first attempt began running")
    finished_at: str | None = Field(None, description="when its last attempt ended")
    rendered: Any = Field(None, description="the config it ran with, secrets masked (for the debugger)")
