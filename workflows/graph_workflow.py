"""GraphWorkflow: one generic, deterministic interpreter for every compiled plan.

Every node whose upstream is settled runs concurrently; edge conditions pick
branches; a node whose incoming edges are all inactive is recorded as skipped.
A failed node cancels the running ones unless it says `continue_on_error`.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError, ApplicationError, ChildWorkflowError, FailureError, TimeoutType,
    is_cancelled_exception,
)
from temporalio.exceptions import TimeoutError as TemporalTimeout  # not the builtin

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from workflows.approval_desk import ApprovalDesk, ApprovalTimedOut
    from workflows.approvals import GATE_NODE, ApprovalChanged, ApprovalState, Decision
    from workflows.failures import LEGACY_TYPE, RunFailed
    from workflows import for_each, reuse, signatures
    from workflows.expressions import (
        ExpressionError, ExpressionLimitError, WorkflowSecrets, evaluate_condition, render_value,
    )
    from workflows.nodes.approval import ApprovalConfig
    from workflows.plan import (
        TERMINAL_STATES, DebugCommand, GraphInput, GraphResult, NodeCall, NodeOutcome, NodePlan, NodeSummary,
    )
    from workflows.validation import validate_run_inputs

WORKFLOW_NAME = "GraphWorkflow"
RECORD_ACTIVITY = "record_execution"
APPROVAL_ACTIVITY = "approval_changed"
# Node activities heartbeat every second: a node on a dead worker is retried
# after this long instead of after its whole timeout.
HEARTBEAT_TIMEOUT_S = 10.0
MAX_WORKER_LOSSES = 3
MAX_DELAY_S = 366 * 86400.0


class NodeFailed(Exception):
    def __init__(self, code: str, message: str, attempts: int | None = None,
                 ran: tuple[str | None, str | None] = (None, None)):
        super().__init__(message)
        self.code, self.message, self.attempts, self.ran = code, message, attempts, ran


@workflow.defn(name=WORKFLOW_NAME)
class GraphWorkflow:
    @workflow.init
    def __init__(self, inp: GraphInput) -> None:
        self._inp = inp
        # Scheduled runs share one input; their id comes from Temporal's run id.
        self._execution_id = inp.execution_id or workflow.info().workflow_id.removeprefix("exec-")
        self._nodes = {node.id: NodeSummary() for node in inp.plan.nodes}
        self._plan_nodes = {node.id: node for node in inp.plan.nodes}
        self._status = "running"
        self._started = workflow.now()
        self._finished: datetime | None = None
        self._error: dict[str, Any] | None = None
        self._desk = ApprovalDesk(self._execution_id, inp.started_by, self._notify_approval)
        self._notifications: list[asyncio.Task] = []
        self._breakpoints = set(inp.debug.breakpoints) if inp.debug else set()
        self._paused: set[str] = set()
        self._stepping = False
        # node id -> the WorkflowTaskStarted event id of the workflow task in
        # which the node's own work began (its first command): the point a
        # reset to before the node goes back to (api/routes/reset.py).
        self._started_in: dict[str, int] = {}

    @workflow.query(name="progress")
    def progress(self) -> GraphResult:
        return self._summary()

    @workflow.query(name="node_starts")
    def node_starts(self) -> dict[str, int]:
        return dict(self._started_in)

    @workflow.query(name="approvals")
    def approvals(self) -> list[ApprovalState]:
        return list(self._desk.states.values())

    @workflow.update(name="decide")
    def decide(self, decision: Decision) -> ApprovalState:
        return self._desk.decide(decision)

    @decide.validator
    def _check_decision(self, decision: Decision) -> None:
        _check_signed(decision, "decision")
        self._desk.check(decision)

    @workflow.update(name="debug")
    def debug(self, command: DebugCommand) -> GraphResult:
        """Live breakpoints: `continue` releases every paused node and runs to
        the next breakpoint; `step` releases the first paused node (plan order)
        and pauses every node that becomes ready after it."""
        self._stepping = command.mode == "step"
        if command.mode == "continue":
            self._paused.clear()
        else:
            first = next(node.id for node in self._inp.plan.nodes if node.id in self._paused)
            self._paused.discard(first)
        return self._summary()

    @debug.validator
    def _check_debug(self, command: DebugCommand) -> None:
        _check_signed(command, "debug")
        if not self._paused:
            raise ApplicationError("no node is paused at a breakpoint", type="not_paused", non_retryable=True)

    @workflow.run
    async def run(self, inp: GraphInput) -> GraphResult:
        running: dict[str, asyncio.Task] = {}
        self._refuse_unsigned()
        try:
            if self._inp.record and not self._inp.execution_id:
                await self._record()  # a scheduled run: make its row exist while it runs
            if self._inp.gate is not None:
                await self._pass_gate()
            if self._error is None:
                await self._drive(running)
        except asyncio.CancelledError:
            await self._cancel(running)
            self._status = "cancelled"
            await self._finish()
            raise
        if self._error is not None:
            self._status = "failed"
            await self._finish()
            if workflow.patched("failure-carries-code"):  # workflows/failures.py
                raise RunFailed(self._error, self._summary().model_dump(mode="json"))
            raise ApplicationError(self._error["message"], self._summary().model_dump(mode="json"),
                                   type=LEGACY_TYPE, non_retryable=True)
        self._status = "succeeded"
        await self._finish()
        return self._summary()

    def _refuse_unsigned(self) -> None:
        """Only launches the API signed run: a plan started straight through
        Temporal (privileged nodes, someone else's execution id) fails here,
        before any node or record. A replay skips the check: the original run
        passed it, and keys may have rotated since."""
        if not workflow.patched("signed-launch") or workflow.unsafe.is_replaying_history_events():
            return
        if not signatures.is_signed(self._inp, "launch"):
            raise ApplicationError("refused: this execution was not started by the platform's API "
                                   "(its input carries no valid signature)", type="unsigned_launch",
                                   non_retryable=True)

    async def _pass_gate(self) -> None:
        """An approval in front of the whole execution: nothing runs before it."""
        self._status = "awaiting_approval"
        config = ApprovalConfig.model_validate(self._inp.gate)
        state = self._desk.open(GATE_NODE, config, config.instructions, {"inputs": self._inp.inputs})
        try:
            outcome = await self._desk.wait(state, config)
        except ApprovalTimedOut as err:
            outcome = {"approved": False, "decision": f"timeout: {err}"}
        self._status = "running"
        if not outcome["approved"]:
            self._error = {"node": GATE_NODE, "code": "gate_rejected",
                           "message": f"the execution was not approved ({outcome['decision']})"}
            await self._cancel({})

    async def _drive(self, running: dict[str, asyncio.Task]) -> None:
        plan = self._inp.plan
        incoming = defaultdict(list)
        for edge in plan.edges:
            incoming[edge.target].append(edge)
        while True:
            if self._error is None:
                self._start_ready(plan.nodes, incoming, running)
            if self._error is not None:
                await self._cancel(running)  # running ones and those not started
            if not running:
                return
            done, _ = await workflow.wait(list(running.values()), return_when=asyncio.FIRST_COMPLETED)
            for node in plan.nodes:
                task = running.get(node.id)
                if task is not None and task in done:
                    del running[node.id]
                    self._note_failure(node)

    def _note_failure(self, node: NodePlan) -> None:
        state = self._nodes[node.id]
        if state.state == "failed" and not node.continue_on_error and self._error is None:
            self._error = {"node": node.id, **state.error,
                           "message": f"node {node.id!r} failed: {state.error['message']}"}

    def _start_ready(self, nodes: list[NodePlan], incoming, running) -> None:
        # Plan order is topological, so skips cascade within one pass.
        for node in nodes:
            state = self._nodes[node.id]
            if state.state != "pending" or self._error is not None:
                continue
            edges = incoming[node.id]
            if any(self._nodes[e.source].state not in TERMINAL_STATES for e in edges):
                continue
            try:
                active = not edges or any(self._edge_active(e) for e in edges)
            except ExpressionError as err:
                self._settle(state, "failed", error={"code": _expression_code(err),
                                                     "message": f"edge condition: {err}"})
                self._note_failure(node)
                continue
            if not active:
                self._settle(state, "skipped")
                continue
            recorded = self._inp.reuse.get(node.id)
            # A rerun: a recorded success stands and nothing runs. A recorded
            # skip is not reused: with new inputs the branch may now be taken.
            if recorded is not None and recorded.state == "succeeded" and self._may_reuse(node, recorded):
                self._nodes[node.id] = self._reused(recorded)
                continue
            state.state = "running"
            # Until its activity reports when it really began: the workflow's
            # time, which is the start of this workflow task and so can precede
            # the finish of an upstream pure node (a local activity) run in the
            # same task; a node never starts before its upstream has finished.
            upstream_done = [self._nodes[e.source].finished_at for e in edges]
            state.started_at = max([workflow.now().isoformat(), *filter(None, upstream_done)],
                                   key=datetime.fromisoformat)
            state.input_digest = self._digest(node)
            running[node.id] = asyncio.create_task(self._run_node(node))

    def _reused(self, recorded: NodeSummary) -> NodeSummary:
        """A reused node did not run here: it keeps the result (and the digest
        of the input it stands for) and names the execution that ran it; the
        timings and attempts were that execution's, not this one's."""
        return recorded.model_copy(update={
            "reused": True, "reused_from": recorded.reused_from or self._inp.source_execution_id,
            "started_at": None, "finished_at": None, "duration_ms": None, "attempts": 0})

    def _may_reuse(self, node: NodePlan, recorded: NodeSummary) -> bool:
        """Never an approval (a rerun asks again), never a result computed from
        another input than the one the node would get now."""
        if not workflow.patched("rerun-checks-input"):
            return True
        return not reuse.never_reused(node) and recorded.input_digest == self._digest(node)

    def _digest(self, node: NodePlan) -> str:
        reads = reuse.plan_reads(node, self._nodes)
        return reuse.input_digest(node, self._inp.inputs, self._context(reads)["nodes"])

    def _edge_active(self, edge) -> bool:
        source = self._nodes[edge.source]
        if source.state == "succeeded" or (source.state == "failed" and self._continues(edge.source)):
            return edge.when is None or evaluate_condition(edge.when, self._context(None))
        return False

    def _continues(self, node_id: str) -> bool:
        return self._plan_nodes[node_id].continue_on_error

    async def _run_node(self, node: NodePlan) -> None:
        state = self._nodes[node.id]
        try:
            await self._hold_at_breakpoint(node, state)
            # Only reads the activation (no command): replay-safe for old histories.
            self._started_in[node.id] = workflow.info().get_current_history_length()
            if node.kind == "activity":
                outcome = await self._run_activity(node)
            elif node.type == "delay":
                outcome = await self._run_delay(node)
            elif node.type == "sub_workflow":
                outcome = await self._run_child(node)
            elif node.type == "approval":
                outcome = await self._run_approval(node, state)
            elif node.type == "for_each":  # new: no old history holds one, so no patch
                outcome = await self._run_for_each(node)
            else:
                raise NodeFailed("unsupported_node", f"this worker cannot run node type {node.type!r}")
            self._check_size(outcome.output)
            self._settle(state, "succeeded", output=outcome.output, attempts=outcome.attempt,
                         ran=(outcome.started_at, outcome.finished_at))
        except NodeFailed as err:
            self._settle(state, "failed", error={"code": err.code, "message": err.message},
                         attempts=err.attempts or max(state.attempts, 1), ran=err.ran)
        except asyncio.CancelledError:
            self._settle(state, "cancelled")
        except Exception as err:  # a bug of ours must fail the node, not vanish with its task
            if not workflow.patched("node-internal-error"):
                raise
            workflow.logger.exception("node %s failed unexpectedly", node.id)
            self._settle(state, "failed", error={"code": "internal_error", "message": type(err).__name__},
                         attempts=max(state.attempts, 1))

    async def _run_activity(self, node: NodePlan) -> NodeOutcome:
        call = NodeCall(execution_id=self._execution_id, node_id=node.id, node_type=node.type,
                        config=node.config, context=self._context(node.reads, with_secrets=False),
                        owner_id=self._inp.owner_id)
        attempts_before = 0
        for lost in range(MAX_WORKER_LOSSES + 1):
            try:
                outcome = await self._execute(node, call, activity_id=node.id if not lost else f"{node.id}#{lost}")
                outcome.attempt += attempts_before
                if lost:  # it began on the worker that was lost
                    outcome.started_at = None
                return outcome
            # A local activity's failure arrives unwrapped (no ActivityError around it).
            except (ActivityError, ApplicationError, TemporalTimeout) as err:
                if is_cancelled_exception(err):
                    raise asyncio.CancelledError() from None
                failure = _node_failure(err, node.retry.max_attempts)
                attempts_before += failure.attempts or 1
                # A lost worker is not the node's fault: schedule it again even
                # when its own policy allows a single attempt.
                if failure.code != "worker_lost" or lost == MAX_WORKER_LOSSES:
                    failure.attempts = attempts_before
                    if lost:
                        failure.ran = (None, failure.ran[1])
                    raise failure from None
        raise AssertionError("unreachable")

    def _execute(self, node: NodePlan, call: NodeCall, activity_id: str):
        retry = node.retry
        retry_policy = RetryPolicy(
            maximum_attempts=retry.max_attempts,
            initial_interval=timedelta(seconds=retry.initial_interval_s),
            backoff_coefficient=retry.backoff,
            maximum_interval=timedelta(seconds=retry.max_interval_s),
        )
        if node.local and workflow.patched("pure-nodes-local"):
            # No task-queue round trip: the worker running this workflow task
            # runs the node and records its result as a marker; the same
            # retry policy and timeout apply (a dead worker fails the workflow
            # task, and the next worker runs the node again on replay).
            return workflow.execute_local_activity(
                node.activity, call, result_type=NodeOutcome, activity_id=activity_id,
                start_to_close_timeout=timedelta(seconds=node.timeout_s),
                retry_policy=retry_policy, summary=f"{node.id} ({node.type})",
            )
        return workflow.execute_activity(
            node.activity, call, result_type=NodeOutcome, activity_id=activity_id,
            start_to_close_timeout=timedelta(seconds=node.timeout_s),
            heartbeat_timeout=timedelta(seconds=min(node.timeout_s, HEARTBEAT_TIMEOUT_S)),
            retry_policy=retry_policy,
            summary=f"{node.id} ({node.type})",
        )

    async def _hold_at_breakpoint(self, node: NodePlan, state: NodeSummary) -> None:
        if node.id not in self._breakpoints and not self._stepping:
            return
        self._breakpoints.discard(node.id)
        self._paused.add(node.id)
        state.state = "paused"
        await workflow.wait_condition(lambda: node.id not in self._paused)
        state.state = "running"
        state.started_at = workflow.now().isoformat()

    async def _run_approval(self, node: NodePlan, state: NodeSummary) -> NodeOutcome:
        try:
            config = ApprovalConfig.model_validate(node.config)
        except ValidationError as err:
            raise NodeFailed("invalid_config", str(err.errors()[0]["msg"])) from None
        instructions = self._render(config.instructions)
        context = self._context(node.reads, with_secrets=False)
        approval = self._desk.open(node.id, config, str(instructions), context)
        state.state = "waiting"
        try:
            output = await self._desk.wait(approval, config)
        except ApprovalTimedOut as err:
            raise NodeFailed("approval_timeout", str(err)) from None
        state.state = "running"
        return NodeOutcome(output=output)

    def _notify_approval(self, event: str, state: ApprovalState, webhook: bool = True) -> None:
        """Mirror row + webhook, from an activity; never blocks the approval."""
        change = ApprovalChanged(event=event, state=state.model_copy(deep=True), notify=webhook,
                                 workflow_id=workflow.info().workflow_id, run_id=workflow.info().run_id)
        self._notifications.append(asyncio.create_task(self._send_notification(change)))

    async def _send_notification(self, change: ApprovalChanged) -> None:
        try:
            await workflow.execute_activity(
                APPROVAL_ACTIVITY, change, start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
                summary=f"approval {change.event}: {change.state.node_id}")
        except ActivityError:
            workflow.logger.warning("approval notification %s failed", change.event)

    async def _run_delay(self, node: NodePlan) -> NodeOutcome:
        seconds = self._render(node.config.get("seconds"))
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            raise NodeFailed("invalid_config", f"delay seconds must be a number, got {seconds!r}") from None
        if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DELAY_S:
            raise NodeFailed("invalid_config", f"delay seconds must be between 0 and {MAX_DELAY_S:.0f}, got {seconds}")
        await workflow.sleep(seconds, summary=f"{node.id} (delay)")
        return NodeOutcome(output={"slept_s": seconds})

    async def _run_child(self, node: NodePlan) -> NodeOutcome:
        assert node.child is not None
        inputs = self._render(node.config.get("inputs", {}))
        issues = validate_run_inputs(node.child.inputs_schema, inputs)
        if issues:
            raise NodeFailed("invalid_run_inputs", "; ".join(f"{i.path}: {i.message}" for i in issues))
        # Signed here with the worker's key: the child checks it like any launch.
        child_input = signatures.signed(GraphInput(
            plan=node.child, inputs=inputs, execution_id=f"{self._execution_id}.{node.id}",
            started_by=self._inp.started_by, owner_id=self._inp.owner_id), "launch")
        try:
            result = await workflow.execute_child_workflow(
                GraphWorkflow.run, child_input, result_type=GraphResult,
                id=f"{workflow.info().workflow_id}.{node.id}",
                execution_timeout=timedelta(seconds=node.timeout_s),
            )
        except ChildWorkflowError as err:
            if is_cancelled_exception(err):
                raise asyncio.CancelledError() from None
            raise NodeFailed("sub_workflow_failed", _root_message(err)) from None
        outputs = {nid: summary.output for nid, summary in result.nodes.items() if summary.state == "succeeded"}
        return NodeOutcome(output={"status": result.status, "outputs": outputs})

    async def _run_for_each(self, node: NodePlan) -> NodeOutcome:
        """Batches of child workflows (workflows/for_each.py); each item reads
        only what its own config references."""
        items = self._render(node.config.get("items"))
        context = self._context(for_each.item_reads(node.config), with_secrets=False)
        try:
            return await for_each.run(node, items, context, self._execution_id, self._inp.owner_id)
        except for_each.ForEachFailed as err:
            raise NodeFailed(err.code, err.message) from None

    def _render(self, value: Any) -> Any:
        try:
            return render_value(value, self._context(None))
        except ExpressionError as err:
            raise NodeFailed(_expression_code(err), str(err)) from None

    def _context(self, reads: list[str] | None, with_secrets: bool = True) -> dict[str, Any]:
        """What expressions see; `reads` limits node results to those referenced,
        which keeps activity inputs (and so history) small."""
        ids = self._nodes.keys() if reads is None else reads
        nodes = {nid: {"output": self._nodes[nid].output, "status": self._nodes[nid].state,
                       "error": self._nodes[nid].error} for nid in ids}
        context = {"inputs": self._inp.inputs, "nodes": nodes}
        if with_secrets:
            context["secrets"] = WorkflowSecrets()
        return context

    def _check_size(self, output: Any) -> None:
        size = len(json.dumps(output, default=str))
        if size > self._inp.plan.output_cap_bytes:
            raise NodeFailed("output_too_large",
                             f"output is {size} bytes, over the cap of {self._inp.plan.output_cap_bytes}")

    def _settle(self, state: NodeSummary, to: str, *, output: Any = None, error: dict | None = None,
                attempts: int | None = None, ran: tuple[str | None, str | None] = (None, None)) -> None:
        """`ran`: when an activity says its node ran (NodeOutcome); else the
        workflow's own time, which is the truth for timers, children and approvals."""
        started, finished = _stamp(ran[0]), _stamp(ran[1])
        state.state = to
        state.output = output
        state.error = error
        if attempts is not None:
            state.attempts = attempts
        if started:
            state.started_at = started
        state.finished_at = finished or workflow.now().isoformat()
        if state.started_at:
            took = datetime.fromisoformat(state.finished_at) - datetime.fromisoformat(state.started_at)
            state.duration_ms = round(max(took.total_seconds(), 0.0) * 1000, 3)

    async def _cancel(self, running: dict[str, asyncio.Task]) -> None:
        for task in running.values():
            task.cancel()
        if running:
            await workflow.wait(list(running.values()))
        running.clear()
        self._paused.clear()
        self._desk.close_all()  # nobody should still be asked to decide
        for state in self._nodes.values():
            if state.state not in TERMINAL_STATES:
                self._settle(state, "cancelled")

    async def _finish(self) -> None:
        self._finished = workflow.now()
        if self._notifications:  # the approvals mirror must not stay "pending"
            await workflow.wait(self._notifications, timeout=600)
        if self._inp.record:
            await self._record_final()

    async def _record_final(self) -> None:
        """The outcome is fixed: record it and close with it. A cancel that
        arrives while the record runs would otherwise close the run CANCELED
        after its row says succeeded or failed; it comes too late, so it is
        absorbed and the run closes with the outcome it recorded."""
        if not workflow.patched("final-record-shielded"):
            await self._record()
            return
        record = asyncio.ensure_future(self._record())
        try:
            await asyncio.shield(record)
        except asyncio.CancelledError:
            if self._status == "cancelled":
                raise
            workflow.logger.info("cancel after the outcome (%s) was fixed: ignored", self._status)
            await record

    async def _record(self) -> None:
        await workflow.execute_activity(
            RECORD_ACTIVITY, self._summary(),
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=timedelta(days=1),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )

    def _summary(self) -> GraphResult:
        finished = self._finished
        return GraphResult(
            execution_id=self._execution_id,
            status=self._status,
            nodes=self._nodes,
            approvals=list(self._desk.states.values()),
            paused_at=sorted(self._paused),
            meta=self._inp.meta,
            started_at=self._started.isoformat(),
            finished_at=finished.isoformat() if finished else None,
            duration_ms=round((finished - self._started).total_seconds() * 1000, 3) if finished else None,
            error=self._error,
        )


def _check_signed(command: Decision | DebugCommand, kind: str) -> None:
    """Update validators: a decision or debug command counts only when the API
    signed it for this workflow recently (it checked who may send it)."""
    ok = signatures.is_signed(command, kind, workflow_id=workflow.info().workflow_id) \
        and signatures.fresh(command.issued_at, workflow.now())
    if not ok:
        raise ApplicationError(f"refused: this {kind} was not sent through the platform's API",
                               type="unsigned_command", non_retryable=True)


def _stamp(value: Any) -> str | None:
    """An activity's time, if it is one (never a reason to fail the node)."""
    try:
        return value if isinstance(value, str) and datetime.fromisoformat(value).tzinfo else None
    except ValueError:
        return None


def _expression_code(err: ExpressionError) -> str:
    return "expression_limit" if isinstance(err, ExpressionLimitError) else "expression_error"


def _node_failure(err: FailureError, max_attempts: int) -> NodeFailed:
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        return NodeFailed(cause.type or "activity_error", cause.message, details.get("attempt"),
                          ran=(details.get("started_at"), details.get("finished_at")))
    if isinstance(cause, TemporalTimeout):
        if cause.type == TimeoutType.HEARTBEAT:
            return NodeFailed("worker_lost", "the worker running this node stopped responding", max_attempts)
        return NodeFailed("timeout", f"timed out ({cause.message})", max_attempts)
    return NodeFailed("activity_error", _root_message(err))


def _root_message(err: BaseException) -> str:
    while isinstance(err, FailureError) and err.cause is not None:
        err = err.cause
    return getattr(err, "message", None) or str(err)
