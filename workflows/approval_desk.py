"""The approvals of one execution, inside GraphWorkflow: state changed only by
the validated `decide` update, waits as durable timers (no polling, no sweeper)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.approvals import ApprovalState, Decision, apply, node_output, refusal
    from workflows.nodes.approval import ApprovalConfig

Notify = Callable[..., None]  # (event, state, notify_webhook=True)


class ApprovalTimedOut(Exception):
    """on_timeout 'fail': the node fails."""


class ApprovalDesk:
    def __init__(self, execution_id: str, started_by: str | None, notify: Notify):
        self.execution_id = execution_id
        self.started_by = started_by
        self.notify = notify
        self.states: dict[str, ApprovalState] = {}

    def open(self, node_id: str, config: ApprovalConfig, instructions: str, context: dict[str, Any]) -> ApprovalState:
        now = workflow.now()
        state = ApprovalState(
            approval_id=f"{self.execution_id}:{node_id}", execution_id=self.execution_id, node_id=node_id,
            approvers=list(config.approvers), quorum=config.quorum, instructions=instructions,
            requested_at=now.isoformat(), started_by=self.started_by,
            allow_self_approval=config.allow_self_approval, context=context,
            timeout_at=(now + timedelta(seconds=config.timeout_s)).isoformat() if config.timeout_s else None,
        )
        self.states[state.approval_id] = state
        self.notify("requested", state)
        return state

    def close_all(self) -> None:
        """The execution stopped (failed or cancelled): close what is open."""
        for state in self.states.values():
            if state.status == "pending":
                state.status, state.decided_at = "cancelled", workflow.now().isoformat()
                self.notify("decided", state)

    def check(self, decision: Decision) -> None:
        """The update validator: refuse before anything enters history."""
        refused = refusal(self.states.get(decision.approval_id), decision)
        if refused:
            # The message is the one histories hold; the type is what callers map.
            raise ApplicationError(refused.message, type=refused.code.value, non_retryable=True)

    def decide(self, decision: Decision) -> ApprovalState:
        self.check(decision)  # again: the state may have moved since validation
        state = self.states[decision.approval_id]
        apply(state, decision, workflow.now().isoformat())
        if state.status != "pending":
            self.notify("decided", state)
        return state

    async def wait(self, state: ApprovalState, config: ApprovalConfig) -> dict[str, Any]:
        """Waits for the decision through the escalation ladder and the timeout."""
        deadlines = sorted([(step.after_s, step) for step in config.escalation], key=lambda d: d[0])
        if config.timeout_s is not None:
            deadlines.append((config.timeout_s, None))
            deadlines.sort(key=lambda d: d[0])
        elapsed = 0.0
        for at, step in deadlines:
            if await self._decided_within(state, at - elapsed):
                return node_output(state)
            elapsed = at
            if step is not None:
                self._escalate(state, step.add_approvers, step.notify)
                continue
            outcome = self._time_out(state, config)
            if outcome is not None:
                return outcome
        await workflow.wait_condition(lambda: state.status != "pending")
        return node_output(state)

    async def _decided_within(self, state: ApprovalState, seconds: float) -> bool:
        try:
            await workflow.wait_condition(lambda: state.status != "pending", timeout=max(seconds, 0.001))
            return True
        except asyncio.TimeoutError:
            return state.status != "pending"

    def _escalate(self, state: ApprovalState, approvers: list[str], notify: bool = True) -> None:
        state.approvers += [a for a in approvers if a not in state.approvers]
        state.escalations += 1
        # Always tell the mirror (new approvers must see it in /pending);
        # `notify` only decides whether the webhook is called.
        self.notify("escalated", state, notify)

    def _time_out(self, state: ApprovalState, config: ApprovalConfig) -> dict[str, Any] | None:
        if config.on_timeout == "escalate":
            self._escalate(state, config.escalate_to)
            return None  # keep waiting, now without a deadline
        state.status, state.decided_at = "timed_out", workflow.now().isoformat()
        self.notify("timed_out", state)
        if config.on_timeout == "fail":
            raise ApprovalTimedOut(f"no decision within {config.timeout_s}s")
        output = node_output(state, how=f"timeout:{config.on_timeout}")
        output["approved"] = config.on_timeout == "approve"
        return output
