"""Live monitoring over a real socket (uvicorn in this event loop): every event
of a 3-node execution in order, a late subscriber's backlog, several
subscribers at once, a paused node, and refusals (bad or revoked token, another user)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from .graphs import three_nodes
from .helpers import wait_finished


@pytest.fixture(scope="session")
def ws_base(served_base: str) -> str:
    return served_base.replace("http://", "ws://", 1) + "/api/v1/ws/executions"


async def collect(url: str, **kwargs) -> tuple[list[dict], int, str]:
    async with websockets.connect(url, **kwargs) as ws:
        events = [json.loads(message) async for message in ws]
        return events, ws.close_code, ws.close_reason


def token(headers: dict) -> str:
    return headers["Authorization"].split()[1]


async def start(api, headers, **body) -> str:
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"who": "ada"}, **body})
    assert started.status_code == 202, started.text
    return started.json()["id"]


def node_events(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["type"], e.get("node_id")) for e in events if e["type"].startswith("node_")]


EXPECTED = [("node_started", "greet"), ("node_finished", "greet"), ("node_started", "shout"),
            ("node_finished", "shout"), ("node_started", "done"), ("node_finished", "done")]


async def test_every_event_in_order_and_late_backlog(api, make_user, ws_base, admin_headers):
    _, headers = await make_user()
    eid = await start(api, headers)
    # two live subscribers at once (query token and Authorization header)
    live = await asyncio.gather(
        collect(f"{ws_base}/{eid}?token={token(headers)}"),
        collect(f"{ws_base}/{eid}", additional_headers=headers))
    for events, code, reason in live:
        assert events[0]["type"] == "execution_started" and events[0]["inputs"] == {"who": "ada"}
        assert node_events(events) == EXPECTED
        assert events[-1] == {**events[-1], "type": "execution_finished", "status": "succeeded"}
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert [e["event_id"] for e in events] == sorted(e["event_id"] for e in events)
        finished = [e for e in events if e["type"] == "node_finished"]
        assert all(e["duration_ms"] >= 0 for e in finished)
        assert finished[-1]["output"] == {"final": "HELLO ADA"}
        assert (code, reason) == (1000, "succeeded")
    assert live[0][0] == live[1][0]

    await wait_finished(api, eid, headers)
    late, code, reason = await collect(f"{ws_base}/{eid}?token={token(headers)}")  # after the end: the backlog
    assert late == live[0][0] and (code, reason) == (1000, "succeeded")
    admin, _, _ = await collect(f"{ws_base}/{eid}?token={token(admin_headers)}")
    assert admin == late


async def test_refused_for_bad_token_and_other_users(api, make_user, ws_base):
    _, headers = await make_user()
    _, stranger = await make_user()
    eid = await start(api, headers)
    for url in (f"{ws_base}/{eid}?token={token(stranger)}", f"{ws_base}/{eid}?token=not-a-token",
                f"{ws_base}/{eid}", f"{ws_base}/no-such-execution?token={token(headers)}"):
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(url):
                pass
        assert refused.value.response.status_code == 403
    await wait_finished(api, eid, headers)


async def test_paused_at_a_live_breakpoint_is_streamed(api, make_user, ws_base):
    _, headers = await make_user()
    eid = await start(api, headers, debug={"breakpoints": ["done"]})
    async with websockets.connect(f"{ws_base}/{eid}?token={token(headers)}") as ws:
        seen = []
        while not seen or seen[-1]["type"] != "paused":
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
        assert seen[-1]["node_id"] == "done"
        session = (await api.post("/api/v1/debug/sessions", json={"execution_id": eid}, headers=headers)).json()
        resumed = await api.post(f"/api/v1/debug/sessions/{session['id']}/step", json={"mode": "continue"},
                                 headers=headers)
        assert resumed.json()["reason"] == "resumed"
        seen += [json.loads(m) async for m in ws]
    types = [e["type"] for e in seen]
    assert types.index("paused") < types.index("resumed") < len(types) - 1
    assert node_events(seen)[-2:] == [("node_started", "done"), ("node_finished", "done")]
    assert seen[-1]["status"] == "succeeded"


async def test_refused_for_a_revoked_token(api, make_user, ws_base):
    _, headers = await make_user()
    eid = await start(api, headers)
    await wait_finished(api, eid, headers)
    events, _, _ = await collect(f"{ws_base}/{eid}?token={token(headers)}")
    assert events  # the owner watches while the token is good
    assert (await api.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"{ws_base}/{eid}?token={token(headers)}"):
            pass
    assert refused.value.response.status_code == 403


async def test_an_api_key_watches_with_read_only_and_not_once_revoked(api, make_user, ws_base):
    _, headers = await make_user()
    eid = await start(api, headers)
    await wait_finished(api, eid, headers)
    keys = {}
    for scopes in (["read"], ["execute"]):
        made = await api.post("/api/v1/auth/api-keys", json={"name": "watch", "scopes": scopes}, headers=headers)
        assert made.status_code == 201, made.text
        keys[scopes[0]] = made.json()
    events, _, _ = await collect(f"{ws_base}/{eid}", additional_headers={
        "Authorization": f"Bearer {keys['read']['key']}"})
    assert node_events(events) == EXPECTED
    revoked = await api.delete(f"/api/v1/auth/api-keys/{keys['read']['id']}", headers=headers)
    assert revoked.status_code == 204
    for key in (keys["read"]["key"], keys["execute"]["key"]):  # revoked; without the read scope
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(f"{ws_base}/{eid}?token={key}"):
                pass
        assert refused.value.response.status_code == 403
