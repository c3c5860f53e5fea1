"""The baseline: a hand-written 3-activity workflow with the raw Temporal SDK,
doing the same work as a 3-node transform graph."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="raw_step")
async def raw_step(value: dict) -> dict:
    return {"n": value["n"] + 1}


@workflow.defn(name="RawThreeSteps")
class RawThreeSteps:
    @workflow.run
    async def run(self, value: dict) -> dict:
        for _ in range(3):
            value = await workflow.execute_activity(raw_step, value, start_to_close_timeout=timedelta(seconds=30))
        return value
