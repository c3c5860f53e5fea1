"""Replacing a Temporal Schedule (spec, policy, action) without undoing a
change that landed meanwhile.

temporalio's `ScheduleHandle.update` describes the schedule, then replaces all
of it, its paused state included, and sends no conflict token (its
client/_impl.py says so in a TODO): a pause arriving between the two calls is
silently undone. Here the replacement carries the describe's conflict token.
Temporal answers a stale token with success and drops the update (measured on
the dev server, 1.32), so each replacement stamps a revision into its action's
memo and reads it back: a dropped one is rebuilt on the new description and
sent again, and after `ATTEMPTS` the caller gets 409 instead of a false 200.

Changes made through the API are serialised by the schedule's row lock
(api/routes/schedules.py); the token guards against writers outside it (the
Temporal Web UI or CLI, another deployment) and against a stale describe.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable

from temporalio.api.workflowservice.v1 import UpdateScheduleRequest
from temporalio.client import Client, Schedule, ScheduleDescription

from api.errors import ApiError

REVISION = "schedule_revision"  # in the action's memo, so every run also names the revision that started it
ATTEMPTS = 3


async def replace(client: Client, schedule_id: str,
                  build: Callable[[ScheduleDescription], Schedule | None | Awaitable[Schedule | None]],
                  ) -> ScheduleDescription:
    """`build` makes the new schedule from the current description (None: keep
    it as it is; it may be async). Returns the description after the change."""
    handle = client.get_schedule_handle(schedule_id)
    sent: set[str] = set()
    for _ in range(ATTEMPTS):
        current = await handle.describe()
        if sent and await installed_revision(client, current) in sent:
            return current  # an earlier attempt landed after its read-back (Temporal applies updates async)
        schedule = build(current)
        if inspect.isawaitable(schedule):
            schedule = await schedule
        if schedule is None:
            return current
        revision = uuid.uuid4().hex
        sent.add(revision)
        schedule.action.memo = {**(schedule.action.memo or {}), REVISION: revision}
        await client.workflow_service.update_schedule(UpdateScheduleRequest(
            namespace=client.namespace, schedule_id=schedule_id, schedule=await schedule._to_proto(client),
            conflict_token=current.raw_description.conflict_token, identity=client.identity,
            request_id=str(uuid.uuid4())), retry=True)
        after = await handle.describe()
        if await installed_revision(client, after) in sent:
            return after
    raise ApiError(409, "schedule_conflict", "the schedule kept changing in Temporal while this update was "
                   "applied; nothing of it was stored: read the schedule and try again")


async def installed_revision(client: Client, desc: ScheduleDescription) -> str | None:
    payload = desc.raw_description.schedule.action.start_workflow.memo.fields.get(REVISION)
    if payload is None:
        return None
    return (await client.data_converter.decode([payload]))[0]
