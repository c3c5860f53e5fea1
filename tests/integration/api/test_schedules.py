"""Schedules through the API against the real stack: each is a Temporal
Schedule whose runs are normal, recorded executions tagged with its id."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from temporalio.service import RPCError, RPCStatusCode

from api import cron

from .graphs import slow, three_nodes
from .helpers import wait_finished

BASE = "/api/v1/enterprise/schedules"
NEVER = "0 0 1 1 *"  # once a year: a schedule that only runs when told to


def marker(label: str) -> dict:
    return {"name": f"mark {label}", "nodes": [{"id": "mark", "type": "transform", "config": {"output": label}}],
            "edges": []}


@pytest.fixture
async def schedules(api, client, admin_headers):
    """Creates schedules and deletes whatever is left of them afterwards, so no
    schedule keeps firing into later tests."""
    made: list[str] = []

    async def create(headers: dict, **body) -> dict:
        response = await api.post(BASE, json=body, headers=headers)
        assert response.status_code == 201, response.text
        made.append(response.json()["temporal_schedule_id"])
        return response.json()

    yield create
    for temporal_id in made:
        try:
            await client.get_schedule_handle(temporal_id).delete()
        except RPCError:
            pass


async def runs_of(api, schedule_id: str, headers: dict) -> list[dict]:
    response = await api.get(f"{BASE}/{schedule_id}/runs", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def wait_runs(api, schedule_id: str, headers: dict, count: int, timeout_s: float = 30,
                    finished: bool = True) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = await runs_of(api, schedule_id, headers)
        done = [r for r in runs if r["status"] == "succeeded"] if finished else runs
        if len(done) >= count:
            return runs
        await asyncio.sleep(0.2)
    raise AssertionError(f"schedule {schedule_id}: {len(runs)} run(s), wanted {count}: {runs}")


async def make_workflow(api, headers, definition=None) -> dict:
    response = await api.post("/api/v1/workflows", json=definition or three_nodes(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_interval_schedule_runs_recorded_executions_and_pause_stops_them(api, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "cron"},
                              spec={"intervals": [{"every_s": 1}]}, notes="every second")
    sid = created["id"]
    assert created["version"] == "latest" and created["running_version"] == 1
    assert created["ui_url"].endswith(f"/schedules/sched-{sid}")
    assert created["next_run_times"], created

    runs = await wait_runs(api, sid, headers, 2)
    first = runs[-1]
    assert first["temporal_workflow_id"].startswith(f"exec-sched-{sid}-")
    # A scheduled run is a normal execution: its row, its result, its owner.
    detail = await wait_finished(api, first["execution_id"], headers)
    assert detail["workflow_id"] == wf["id"] and detail["version"] == 1 and detail["status"] == "succeeded"
    result = await api.get(f"/api/v1/executions/{first['execution_id']}/result", headers=headers)
    assert result.json()["outputs"]["done"] == {"final": "HELLO CRON"}
    got = (await api.get(f"{BASE}/{sid}", headers=headers)).json()
    assert got["recent_runs"] and got["num_actions"] >= 2
    assert got["recent_runs"][0]["execution_id"].startswith(f"sched-{sid}-")

    paused = await api.post(f"{BASE}/{sid}/pause", json={"note": "maintenance"}, headers=headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] and paused.json()["pause_reason"] == "maintenance"
    await asyncio.sleep(1.5)  # a run already started may still land
    before = len(await runs_of(api, sid, headers))
    await asyncio.sleep(2.5)
    assert len(await runs_of(api, sid, headers)) == before

    unpaused = await api.post(f"{BASE}/{sid}/unpause", headers=headers)
    assert unpaused.status_code == 200 and not unpaused.json()["paused"]
    await wait_runs(api, sid, headers, before + 1, finished=False)


async def test_trigger_now_starts_one_run(api, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version=1, inputs={"who": "now"},
                              spec={"cron_expressions": [NEVER]}, paused=True)
    assert created["paused"]
    triggered = await api.post(f"{BASE}/{created['id']}/trigger", headers=headers)
    assert triggered.status_code == 202, triggered.text
    accepted = triggered.json()
    assert accepted["schedule_id"] == created["id"] and accepted["overlap"] == "allow_all"
    assert accepted["links"]["execution"] == f"/api/v1/executions/{accepted['id']}"
    assert accepted["links"]["runs"] == f"{BASE}/{created['id']}/runs"
    assert f"/workflows/{accepted['temporal_workflow_id']}/{accepted['temporal_run_id']}/" in accepted["ui_url"]
    runs = await wait_runs(api, created["id"], headers, 1)
    assert [r["execution_id"] for r in runs] == [accepted["id"]]
    result = await api.get(accepted["links"]["result"], headers=headers)
    assert result.json()["outputs"]["done"] == {"final": "HELLO NOW"}


async def test_concurrent_triggers_each_start_their_own_run(api, client, make_user, schedules):
    """Issue 10.1: Temporal's trigger names runs by the second, so quick
    triggers collided and all but one were lost behind a 202."""
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "many"},
                              spec={"cron_expressions": [NEVER]})
    answers = await asyncio.gather(*(api.post(f"{BASE}/{created['id']}/trigger", headers=headers)
                                     for _ in range(5)))
    assert [a.status_code for a in answers] == [202] * 5, [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 5
    for eid in ids:
        detail = await wait_finished(api, eid, headers)
        assert detail["status"] == "succeeded" and detail["workflow_id"] == wf["id"]
        desc = await client.get_workflow_handle(detail["temporal_workflow_id"]).describe()
        assert await desc.memo_value("schedule_id") == created["id"]
    assert {r["execution_id"] for r in await runs_of(api, created["id"], headers)} == ids
    listed = await api.get("/api/v1/executions", params={"schedule_id": created["id"]}, headers=headers)
    assert {e["id"] for e in listed.json()["items"]} == ids
    assert {(e["trigger"], e["schedule_id"]) for e in listed.json()["items"]} == {("schedule", created["id"])}


async def test_trigger_with_overlap_skip_refuses_while_a_run_is_in_progress(api, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers, slow("busy", 60))
    created = await schedules(headers, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]})
    sid = created["id"]
    first = await api.post(f"{BASE}/{sid}/trigger", json={"overlap": "allow_all"}, headers=headers)
    assert first.status_code == 202, first.text
    eid = first.json()["id"]
    assert eid in (await api.get(f"{BASE}/{sid}", headers=headers)).json()["running"]
    refused = await api.post(f"{BASE}/{sid}/trigger", json={"overlap": "skip"}, headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "run_in_progress"
    assert refused.json()["error"]["details"] == {"running": [eid]}
    assert [r["execution_id"] for r in await runs_of(api, sid, headers)] == [eid]
    # Policies that only Temporal's queue of scheduled runs could honour are refused, not ignored.
    buffered = await api.post(f"{BASE}/{sid}/trigger", json={"overlap": "buffer_one"}, headers=headers)
    assert buffered.status_code == 422, buffered.text
    assert buffered.json()["error"]["details"][0]["path"] == "$.body.overlap"

    assert (await api.post(f"/api/v1/executions/{eid}/cancel", headers=headers)).status_code == 202
    await wait_finished(api, eid, headers)
    again = await api.post(f"{BASE}/{sid}/trigger", json={"overlap": "skip"}, headers=headers)
    assert again.status_code == 202, again.text
    await api.post(f"/api/v1/executions/{again.json()['id']}/cancel", headers=headers)


async def test_backfill_starts_the_expected_count(api, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "past"},
                              spec={"cron_expressions": ["*/10 * * * *"]}, paused=True)
    # 00:00, 00:10, ..., 00:50 of a past day: six runs.
    response = await api.post(f"{BASE}/{created['id']}/backfill", headers=headers, json={
        "start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-01T00:55:00Z"})
    assert response.status_code == 202, response.text
    runs = await wait_runs(api, created["id"], headers, 6)
    await asyncio.sleep(1.0)
    runs = await runs_of(api, created["id"], headers)
    assert len(runs) == 6
    assert sorted(r["temporal_workflow_id"].rsplit("-", 3)[-3:][-1] for r in runs)  # distinct ids
    assert {r["temporal_workflow_id"] for r in runs} == {
        f"exec-sched-{created['id']}-2025-01-01T00:{m:02d}:00Z" for m in range(0, 60, 10)}


async def test_delete_removes_the_temporal_schedule(api, client, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"cron_expressions": [NEVER]})
    desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    assert desc.id == created["temporal_schedule_id"]
    assert (await api.delete(f"{BASE}/{created['id']}", headers=headers)).status_code == 204
    with pytest.raises(RPCError) as err:
        await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND
    assert (await api.get(f"{BASE}/{created['id']}", headers=headers)).status_code == 404
    listed = (await api.get(BASE, params={"workflow_id": wf["id"]}, headers=headers)).json()
    assert listed["total"] == 0


async def test_pinned_version_vs_latest_after_an_update(api, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers, marker("v1"))
    pinned = await schedules(headers, workflow_id=wf["id"], version=1, spec={"cron_expressions": [NEVER]},
                             paused=True)
    latest = await schedules(headers, workflow_id=wf["id"], version="latest",
                             spec={"cron_expressions": [NEVER]}, paused=True)
    updated = await api.put(f"/api/v1/workflows/{wf['id']}", json=marker("v2"), headers=headers)
    assert updated.status_code == 200 and updated.json()["latest_version"] == 2

    got_pinned = (await api.get(f"{BASE}/{pinned['id']}", headers=headers)).json()
    got_latest = (await api.get(f"{BASE}/{latest['id']}", headers=headers)).json()
    assert (got_pinned["version"], got_pinned["running_version"]) == (1, 1)
    assert (got_latest["version"], got_latest["running_version"]) == ("latest", 2)

    for schedule, expected in ((pinned, "v1"), (latest, "v2")):
        assert (await api.post(f"{BASE}/{schedule['id']}/trigger", headers=headers)).status_code == 202
        [run] = await wait_runs(api, schedule["id"], headers, 1)
        result = await api.get(f"/api/v1/executions/{run['execution_id']}/result", headers=headers)
        assert result.json()["outputs"]["mark"] == expected

    # Re-pinning through an update: the schedule now runs version 2 explicitly.
    repinned = await api.put(f"{BASE}/{pinned['id']}", json={"version": 2}, headers=headers)
    assert repinned.status_code == 200, repinned.text
    assert (repinned.json()["version"], repinned.json()["running_version"]) == (2, 2)
    assert repinned.json()["paused"]  # an update keeps the schedule's state


@pytest.mark.parametrize(("spec", "path"), [
    ({"cron_expressions": ["61 * * * *"]}, "$.body.spec.cron_expressions[0]"),
    ({"cron_expressions": ["@daily", "* * *"]}, "$.body.spec.cron_expressions[1]"),
    ({"cron_expressions": ["@daily"], "time_zone": "Mars/Olympus_Mons"}, "$.body.spec.time_zone"),
    ({"intervals": [{"every_s": 60}], "start_at": "2031-01-01T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"},
     "$.body.spec.end_at"),
    ({}, "$.body.spec"),
    ({"cron_expressions": ["CRON_TZ=Asia/Tokyo 0 8 * * *"], "time_zone": "Asia/Tokyo"}, "$.body.spec.time_zone"),
    ({"intervals": [{"every_s": 0}]}, "$.body.spec.intervals[0].every_s"),
    ({"cron_expressions": ["@daily", "0 */15 * * * *"]}, "$.body.spec.cron_expressions[1]"),  # 6 fields
    ({"every": "15"}, "$.body.spec.every"),
    ({"every": "0m"}, "$.body.spec.every"),
])
async def test_invalid_spec_is_422_with_the_field(api, make_user, spec, path):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    response = await api.post(BASE, headers=headers, json={
        "workflow_id": wf["id"], "version": "latest", "inputs": {"who": "x"}, "spec": spec})
    assert response.status_code == 422, response.text
    assert path in [d["path"] for d in response.json()["error"]["details"]], response.json()


async def test_invalid_version_and_inputs_are_422(api, make_user):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    body = {"workflow_id": wf["id"], "spec": {"cron_expressions": [NEVER]}}
    unknown = await api.post(BASE, headers=headers, json={**body, "version": 7, "inputs": {"who": "x"}})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["path"] == "$.body.version"
    implicit = await api.post(BASE, headers=headers, json={**body, "inputs": {"who": "x"}})
    assert implicit.status_code == 422  # pinning or following latest is an explicit choice
    inputs = await api.post(BASE, headers=headers, json={**body, "version": "latest", "inputs": {}})
    assert inputs.status_code == 422 and inputs.json()["error"]["code"] == "invalid_inputs"
    backfill = await api.post(f"{BASE}/nope/backfill", headers=headers,
                              json={"start_at": "2025-01-02T00:00:00Z", "end_at": "2025-01-01T00:00:00Z"})
    assert backfill.status_code == 422
    assert backfill.json()["error"]["details"][0]["path"] == "$.body.end_at"


@pytest.mark.parametrize("spec", [
    {"intervals": [{"every_s": 60, "offset_s": 1e300}]},
    {"intervals": [{"every_s": 60}], "start_at": "0001-01-01T00:00:00+14:00"},
    {"intervals": [{"every_s": 60}], "end_at": "9999-12-31T23:59:59-14:00"},
])
async def test_extreme_schedule_values_are_422_and_leave_no_row(api, make_user, spec):
    _, owner = await make_user()
    wid = (await make_workflow(api, owner))["id"]
    response = await api.post("/api/v1/enterprise/schedules", headers=owner,
                              json={"workflow_id": wid, "version": "latest", "spec": spec})
    assert response.status_code == 422, response.text
    listed = await api.get("/api/v1/enterprise/schedules", headers=owner)
    assert listed.json()["total"] == 0


async def test_schedules_follow_workflow_ownership(api, make_user, admin_headers, schedules):
    _, owner = await make_user()
    _, other = await make_user()
    wf = await make_workflow(api, owner)
    created = await schedules(owner, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"cron_expressions": [NEVER]}, paused=True)
    sid = created["id"]
    # Another user can neither schedule the workflow nor see, change or run its schedule.
    denied = await api.post(BASE, headers=other, json={
        "workflow_id": wf["id"], "version": "latest", "inputs": {"who": "x"},
        "spec": {"cron_expressions": [NEVER]}})
    assert denied.status_code == 404
    for method, suffix in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/pause"), ("POST", "/unpause"),
                           ("POST", "/trigger"), ("GET", "/runs")):
        response = await api.request(method, f"{BASE}/{sid}{suffix}", headers=other,
                                     json={} if method == "PUT" else None)
        assert response.status_code == 404, (method, suffix, response.text)
    assert (await api.get(BASE, headers=other)).json()["total"] == 0
    assert [s["id"] for s in (await api.get(BASE, headers=owner)).json()["items"]] == [sid]
    # An admin sees it; the schedule stays the workflow owner's.
    seen = await api.get(f"{BASE}/{sid}", headers=admin_headers)
    assert seen.status_code == 200 and seen.json()["owner_id"] == wf["owner_id"]


async def test_deleting_the_workflow_pauses_its_schedule_with_a_reason(api, client, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"cron_expressions": [NEVER]})
    assert not created["paused"]
    assert (await api.delete(f"/api/v1/workflows/{wf['id']}", headers=headers)).status_code == 204
    got = (await api.get(f"{BASE}/{created['id']}", headers=headers)).json()
    assert got["paused"] and "deleted" in got["pause_reason"]
    desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    assert desc.schedule.state.paused and "deleted" in (desc.schedule.state.note or "")
    unpause = await api.post(f"{BASE}/{created['id']}/unpause", headers=headers)
    assert unpause.status_code == 409 and unpause.json()["error"]["code"] == "workflow_deleted"
    trigger = await api.post(f"{BASE}/{created['id']}/trigger", headers=headers)
    assert trigger.status_code == 409


async def test_spec_and_policy_reach_temporal(api, client, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"}, spec={
        "cron_expressions": ["30 9 * * mon-fri", "@every 90m"],
        "intervals": [{"every_s": 7200, "offset_s": 60}], "time_zone": "America/New_York", "jitter_s": 5,
        "start_at": "2030-01-01T00:00:00Z", "end_at": "2031-01-01T00:00:00Z",
    }, policy={"overlap": "buffer_one", "catchup_window_s": 600, "pause_on_failure": True}, notes="n")
    desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    spec, policy = desc.schedule.spec, desc.schedule.policy
    assert spec.time_zone_name == "America/New_York" and spec.jitter.total_seconds() == 5
    assert spec.start_at.year == 2030 and spec.end_at.year == 2031
    assert sorted(i.every.total_seconds() for i in spec.intervals) == [5400, 7200]  # @every: an interval
    assert policy.overlap.name == "BUFFER_ONE" and policy.catchup_window.total_seconds() == 600
    assert policy.pause_on_failure
    assert min(created["next_run_times"]).startswith("2030-")
    assert created["spec"]["time_zone"] == "America/New_York" and created["policy"]["overlap"] == "buffer_one"


@pytest.mark.parametrize("expression", [
    "* * * * *", "0 9 * * mon-fri", "*/15 0-6,22 1,15 jan-jun *", "0 0 1 1 * 2030", "0 30 9 * * * 2030",
    "@daily", "@every 1h30m", "@every 10m/2m", "CRON_TZ=Asia/Tokyo 0 8 * * *", "0 0 * * 0 # sundays",
])
async def test_cron_accepted(client, expression):
    """Temporal's own parser (api/cron.py asks the server) says yes."""
    assert await cron.refusal(client, expression) is None


@pytest.mark.parametrize("expression", [
    "", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *",
    "*/0 * * * *", "@sometimes", "@every soon", "CRON_TZ=Nowhere/City * * * * *", "a b c d e",
    "*/15 0-6,22 1,15 jan-jun ?",  # '?' as day of week: the old hand-written grammar let it through
])
async def test_cron_refused(client, expression):
    reason = await cron.refusal(client, expression)
    assert reason and "Invalid schedule spec" in reason  # Temporal's reason, passed on as the message


async def test_cron_refusal_names_the_expression_and_stores_nothing(api, client, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    response = await api.post(BASE, headers=headers, json={
        "workflow_id": wf["id"], "version": "latest", "inputs": {"who": "x"},
        "spec": {"cron_expressions": ["@daily", "* 24 * * *", "0 9 * * mon-fri", "*/0 * * * *"]}})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["path"] for d in error["details"]] == ["$.body.spec.cron_expressions[1]",
                                                     "$.body.spec.cron_expressions[3]"]
    assert "Hour" in error["details"][0]["message"] and "Step" in error["details"][1]["message"]
    assert (await api.get(BASE, headers=headers)).json()["total"] == 0
    # an update is checked the same way, and leaves the schedule as it was
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"cron_expressions": [NEVER]}, paused=True)
    bad = await api.put(f"{BASE}/{created['id']}", headers=headers, json={"spec": {"cron_expressions": ["61 * * * *"]}})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "$.body.spec.cron_expressions[0]"
    assert (await api.get(f"{BASE}/{created['id']}", headers=headers)).json()["spec"]["cron_expressions"] == [NEVER]
    assert [s.id async for s in await client.list_schedules() if s.id.startswith(cron.PROBE_PREFIX)] == []


async def test_concurrent_pause_and_unpause_leave_the_row_as_temporal_has_it(api, make_user, schedules, client):
    """Issue 10.5c: each change of one schedule holds its row through the
    Temporal call and the commit, so the stored state ends as Temporal's."""
    import asyncio

    _, headers = await make_user()
    wf = await make_workflow(api, headers, marker("race"))
    created = await schedules(headers, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]})
    sid = created["id"]
    for _ in range(5):
        actions = ["pause", "unpause", "pause", "unpause", "pause"]
        answers = await asyncio.gather(*(api.post(f"{BASE}/{sid}/{a}", json={}, headers=headers)
                                         for a in actions))
        assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
        stored = (await api.get(f"{BASE}/{sid}", headers=headers)).json()
        desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
        assert stored["paused"] == desc.schedule.state.paused


async def test_six_cron_fields_are_refused_as_ambiguous_and_nothing_is_stored(api, make_user):
    """Issue 10.12: 6 fields are a year here and seconds in Quartz and n8n."""
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    response = await api.post(BASE, headers=headers, json={
        "workflow_id": wf["id"], "version": "latest", "inputs": {"who": "x"},
        "spec": {"cron_expressions": ["0 */15 * * * *"]}})
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "ambiguous_cron" and detail["path"] == "$.body.spec.cron_expressions[0]"
    assert "'0 */15 * * * * *'" in detail["message"] and "Quartz" in detail["message"]
    assert (await api.get(BASE, headers=headers)).json()["total"] == 0


async def test_every_shorthand_reaches_temporal_as_an_interval(api, client, make_user, schedules):
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"every": "1h30m", "start_at": "2030-01-01T00:00:00Z"})
    assert created["spec"]["every"] == "1h30m"
    desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    assert [i.every.total_seconds() for i in desc.schedule.spec.intervals] == [5400]
    times = created["next_run_times"]
    assert times[:2] == ["2030-01-01T00:00:00Z", "2030-01-01T01:30:00Z"], times
    # An update keeps speaking the shorthand.
    updated = await api.put(f"{BASE}/{created['id']}", headers=headers, json={"spec": {"every": "1d"}})
    assert updated.status_code == 200, updated.text
    desc = await client.get_schedule_handle(created["temporal_schedule_id"]).describe()
    assert [i.every.total_seconds() for i in desc.schedule.spec.intervals] == [86400]


async def test_a_paused_schedule_lists_no_next_run_times(api, make_user, schedules):
    """Issue 10.12: Temporal computes next times while paused; none would happen."""
    _, headers = await make_user()
    wf = await make_workflow(api, headers)
    created = await schedules(headers, workflow_id=wf["id"], version="latest", inputs={"who": "x"},
                              spec={"cron_expressions": [NEVER]}, paused=True)
    assert created["paused"] and created["next_run_times"] == []
    assert (await api.get(f"{BASE}/{created['id']}", headers=headers)).json()["next_run_times"] == []
    unpaused = (await api.post(f"{BASE}/{created['id']}/unpause", headers=headers)).json()
    assert not unpaused["paused"] and unpaused["next_run_times"]
    paused = (await api.post(f"{BASE}/{created['id']}/pause", headers=headers)).json()
    assert paused["paused"] and paused["next_run_times"] == []


async def test_concurrent_updates_mixed_with_pauses_leave_the_row_as_temporal_has_it(
        api, client, make_user, schedules, database_url):
    """Issue 10.5c: PUTs and pause/unpause calls at once (6 of each: they queue
    on the row lock, so more would only wait longer); after each round the
    stored cron and paused flag, and the API's answer, are Temporal's."""
    import json

    import asyncpg

    _, headers = await make_user()
    wf = await make_workflow(api, headers, marker("race"))
    created = await schedules(headers, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]})
    sid, handle = created["id"], client.get_schedule_handle(created["temporal_schedule_id"])
    conn = await asyncpg.connect(database_url)
    try:
        for round_ in range(4):
            calls = []
            for i in range(6):
                calls.append(api.put(f"{BASE}/{sid}", headers=headers,
                                     json={"spec": {"cron_expressions": [f"{i + 10 * round_} 0 1 1 *"]}}))
                action = "pause" if (i + round_) % 2 else "unpause"
                calls.append(api.post(f"{BASE}/{sid}/{action}", json={}, headers=headers))
            answers = await asyncio.gather(*calls)
            assert {r.status_code for r in answers} == {200}, [r.text for r in answers if r.status_code != 200]
            stored = await conn.fetchrow("SELECT spec, paused FROM schedules WHERE id = $1", sid)
            desc = await handle.describe()
            [calendar] = desc.schedule.spec.calendars
            temporal_cron = f"{calendar.minute[0].start} 0 1 1 *"
            assert json.loads(stored["spec"])["cron_expressions"] == [temporal_cron], round_
            assert stored["paused"] == desc.schedule.state.paused, round_
            got = (await api.get(f"{BASE}/{sid}", headers=headers)).json()
            assert (got["spec"]["cron_expressions"], got["paused"]) == ([temporal_cron], desc.schedule.state.paused)
    finally:
        await conn.close()


async def test_an_update_keeps_a_pause_made_outside_the_api(api, client, make_user, schedules):
    """Issue 10.5c: a pause made in Temporal (Web UI, CLI) survives a PUT, and
    the answer says paused, read from Temporal."""
    _, headers = await make_user()
    wf = await make_workflow(api, headers, marker("outside"))
    created = await schedules(headers, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]})
    handle = client.get_schedule_handle(created["temporal_schedule_id"])
    await handle.pause(note="paused in the Web UI")
    got = (await api.get(f"{BASE}/{created['id']}", headers=headers)).json()
    assert (got["paused"], got["pause_reason"], got["next_run_times"]) == (True, "paused in the Web UI", [])
    updated = await api.put(f"{BASE}/{created['id']}", headers=headers, json={"spec": {"every": "1h"}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["paused"] and updated.json()["pause_reason"] == "paused in the Web UI"
    desc = await handle.describe()
    assert desc.schedule.state.paused and [i.every.total_seconds() for i in desc.schedule.spec.intervals] == [3600]


async def test_a_change_between_describe_and_replace_is_kept_not_undone(api, client, make_user, schedules):
    """Issue 10.5c: the SDK's update replaces the whole schedule (state too) with
    no conflict token, so a pause landing between its describe and its update
    was undone. api/schedule_replace.py sends the token, sees its update dropped
    and rebuilds it on the new description."""
    from temporalio.client import ScheduleIntervalSpec

    from api import schedule_replace
    from api.errors import ApiError

    _, headers = await make_user()
    wf = await make_workflow(api, headers, marker("token"))
    created = await schedules(headers, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]})
    handle = client.get_schedule_handle(created["temporal_schedule_id"])
    seen: list[bool] = []

    async def build(current):
        seen.append(current.schedule.state.paused)
        if len(seen) == 1:  # another writer (the Web UI, say) pauses after our describe
            await handle.pause(note="a pause from elsewhere")
        schedule = current.schedule
        schedule.spec.intervals = [ScheduleIntervalSpec(every=timedelta(hours=2))]
        return schedule

    after = await schedule_replace.replace(client, created["temporal_schedule_id"], build)
    assert seen == [False, True]  # the first replacement was dropped (stale token), the second saw the pause
    assert after.schedule.state.paused and after.schedule.state.note == "a pause from elsewhere"
    assert [i.every for i in after.schedule.spec.intervals] == [timedelta(hours=2)]
    desc = await handle.describe()
    assert desc.schedule.state.paused and [i.every for i in desc.schedule.spec.intervals] == [timedelta(hours=2)]

    # A schedule that changes under every attempt: 409, not a false success.
    async def flapping(current):
        await (handle.unpause() if current.schedule.state.paused else handle.pause())
        return current.schedule

    with pytest.raises(ApiError) as err:
        await schedule_replace.replace(client, created["temporal_schedule_id"], flapping)
    assert err.value.status == 409 and err.value.code == "schedule_conflict"
