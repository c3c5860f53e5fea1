"""User roles: an approver `role:<name>` matches the users holding that role;
only an admin sets roles (PUT /api/v1/auth/users/{id}/roles)."""

from __future__ import annotations

import asyncio
import time
import uuid

from core.db.models import Approval

from .conftest import ADMIN_PASSWORD, login
from .helpers import wait_finished
from .test_approvals import BASE, approval_graph, decide, start, wait_pending

ME = "/api/v1/auth/me"


def roles_path(user_id: str) -> str:
    return f"/api/v1/auth/users/{user_id}/roles"


async def user_id(api, headers) -> str:
    return (await api.get(ME, headers=headers)).json()["id"]


async def wait_mirrored(app, approval_id: str, timeout_s: float = 20) -> None:
    """Until the approval's mirror row is pending (what /pending reads)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with app.state.agentic.sessions() as session:
            row = await session.get(Approval, approval_id)
            if row is not None and row.status == "pending" and row.state is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{approval_id} was never mirrored")


async def pending_ids(api, headers) -> list[str]:
    response = await api.get(f"{BASE}/pending", headers=headers)
    assert response.status_code == 200, response.text
    return [a["approval_id"] for a in response.json()]


async def test_role_approver_matches_once_the_role_is_given(api, app, make_user, admin_headers):
    _, owner = await make_user()
    name, lead = await make_user()
    # A role must be held by someone when a version names it (issue 8.9).
    _, holder = await make_user()
    assert (await api.put(roles_path(await user_id(api, holder)), json={"roles": ["lead"]},
                          headers=admin_headers)).status_code == 200
    eid = await start(api, owner, approval_graph(["role:lead"], quorum=1))
    aid = f"{eid}:gate"
    await wait_mirrored(app, aid)

    # Without the role: nothing waits on them, and they may not decide.
    assert (await api.get(ME, headers=lead)).json()["roles"] == []
    assert aid not in await pending_ids(api, lead)
    refused = await decide(api, lead, aid)
    # Not an approver (yet), not the owner: the approval is invisible to them.
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    # An admin sees it but holds no role `lead`: the workflow's validator refuses.
    admin_try = await decide(api, admin_headers, aid)
    assert admin_try.status_code == 403 and admin_try.json()["error"]["code"] == "not_an_approver"

    given = await api.put(roles_path(await user_id(api, lead)), json={"roles": ["lead"]}, headers=admin_headers)
    assert given.status_code == 200, given.text
    assert given.json()["username"] == name and given.json()["roles"] == ["lead"]
    # The role counts from the next request on, with the token they already hold.
    assert (await api.get(ME, headers=lead)).json()["roles"] == ["lead"]
    item = await wait_pending(api, lead, aid)
    assert item["approvers"] == ["role:lead"]
    assert (await api.get(f"{BASE}/{aid}", headers=lead)).status_code == 200

    approved = await decide(api, lead, aid, comment="lead says yes")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    final = await wait_finished(api, eid, owner)
    assert final["status"] == "succeeded"
    assert final["nodes"]["ship"]["state"] == "succeeded" and final["nodes"]["stop"]["state"] == "skipped"
    assert final["nodes"]["gate"]["output"]["decided_by"] == [name]
    assert aid not in await pending_ids(api, lead)


async def test_visible_user_without_the_role_is_not_an_approver(api, app, make_user, admin_headers):
    """The owner (self-approval allowed) sees the approval; without the role the validator says no."""
    owner_name, owner = await make_user()
    role = f"ops-{owner_name[-6:]}"
    _, holder = await make_user()  # the role exists: someone holds it
    assert (await api.put(roles_path(await user_id(api, holder)), json={"roles": [role]},
                          headers=admin_headers)).status_code == 200
    eid = await start(api, owner, approval_graph([f"role:{role}"], quorum=1, allow_self_approval=True))
    aid = f"{eid}:gate"
    await wait_mirrored(app, aid)
    assert aid not in await pending_ids(api, owner)
    refused = await decide(api, owner, aid)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_an_approver"

    given = await api.put(roles_path(await user_id(api, owner)), json={"roles": [role]}, headers=admin_headers)
    assert given.status_code == 200, given.text
    await wait_pending(api, owner, aid)
    assert (await decide(api, owner, aid)).status_code == 200
    assert (await wait_finished(api, eid, owner))["status"] == "succeeded"


async def test_roles_are_validated(api, make_user, admin_headers):
    _, someone = await make_user()
    path = roles_path(await user_id(api, someone))
    for bad in (["Lead"], ["1lead"], [""], ["a" * 33], ["has space"], [f"r{i}" for i in range(21)], "lead",
                [1], None):
        response = await api.put(path, json={"roles": bad}, headers=admin_headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    extra = await api.put(path, json={"roles": [], "admin": True}, headers=admin_headers)
    assert extra.status_code == 422

    reserved = await api.put(path, json={"roles": ["lead", "admin"]}, headers=admin_headers)
    assert reserved.status_code == 422
    assert reserved.json()["error"]["code"] == "validation_error"
    assert "admin is a flag, not a role" in reserved.json()["error"]["details"][0]["message"]
    assert (await api.get(ME, headers=someone)).json()["roles"] == []  # nothing was saved

    deduplicated = await api.put(path, json={"roles": ["lead", "ops_1", "lead", "a" * 32]}, headers=admin_headers)
    assert deduplicated.status_code == 200, deduplicated.text
    assert deduplicated.json()["roles"] == ["lead", "ops_1", "a" * 32]
    twenty = await api.put(path, json={"roles": [f"r{i}" for i in range(20)]}, headers=admin_headers)
    assert twenty.status_code == 200 and len(twenty.json()["roles"]) == 20
    cleared = await api.put(path, json={"roles": []}, headers=admin_headers)
    assert cleared.status_code == 200 and cleared.json()["roles"] == []

    unknown = await api.put(roles_path("no-such-user"), json={"roles": ["lead"]}, headers=admin_headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_only_an_admin_sets_roles(api, make_user):
    _, someone = await make_user()
    target = roles_path(await user_id(api, someone))
    anonymous = await api.put(target, json={"roles": ["lead"]})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    # A user may not give themselves (or anyone) a role.
    for headers in (someone, (await make_user())[1]):
        denied = await api.put(target, json={"roles": ["lead"]}, headers=headers)
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    # An admin account whose token did not ask for the admin scope is refused too.
    read_only_admin = await login(api, "admin", ADMIN_PASSWORD, "read write")
    denied = await api.put(target, json={"roles": ["lead"]}, headers=read_only_admin)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    assert (await api.get(ME, headers=someone)).json()["roles"] == []


async def test_approvers_must_exist_and_bind_to_the_account_when_saved(api, make_user, admin_headers):
    """Issue 8.9: a gate waiting for `user:release_mgr` cannot be claimed by
    registering that name later; unknown users and roles are refused with the
    path when the version is saved; names match regardless of case."""
    _, owner = await make_user()
    ghost = f"release_mgr_{uuid.uuid4().hex[:6]}"
    definition = approval_graph([f"user:{ghost}", "role:nobody-holds-this"])
    definition["nodes"][1]["config"]["escalation"] = [{"after_s": 60, "add_approvers": ["scope:nope"]}]
    refused = await api.post("/api/v1/workflows", json=definition, headers=owner)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "unknown_approver"
    assert {d["path"] for d in error["details"]} == {
        "$.nodes[1].config.approvers[0]", "$.nodes[1].config.approvers[1]",
        "$.nodes[1].config.escalation[0].add_approvers[0]"}
    # The name registered after the refusal still gives nothing to runs saved before it...
    mgr_name, mgr = await make_user()
    saved = await api.post("/api/v1/workflows", json=approval_graph([f"user:{mgr_name.upper()}"]), headers=owner)
    assert saved.status_code == 201, saved.text
    started = await api.post(f"/api/v1/workflows/{saved.json()['id']}/executions", json={"inputs": {}},
                             headers=owner)
    aid = f"{started.json()['id']}:gate"
    item = await wait_pending(api, mgr, aid)  # the upper-cased name bound to the real account
    assert item["approvers"] == [f"user:{mgr_name}"]
    # ...and an approval request for a gate names real people too.
    gate = await api.post(f"/api/v1/enterprise/approvals/workflows/{saved.json()['id']}/request", headers=owner,
                          json={"inputs": {}, "approval": {"approvers": [f"user:{ghost}"]}})
    assert gate.status_code == 422 and gate.json()["error"]["details"][0]["path"] == "$.approval.approvers[0]"
    assert (await decide(api, mgr, aid)).status_code == 200


async def test_a_bound_approver_is_the_account_not_the_name(api, app, make_user):
    """The plan names `id:<user id>`: only that account's principals carry it."""
    from core.db.models import Execution

    _, owner = await make_user()
    mgr_name, mgr = await make_user()
    eid = await start(api, owner, approval_graph([mgr_name]))
    async with app.state.agentic.sessions() as session:
        plan = (await session.get(Execution, eid)).plan
    gate = next(n for n in plan["nodes"] if n["id"] == "gate")
    me = (await api.get(ME, headers=mgr)).json()
    assert gate["config"]["approvers"] == [f"id:{me['id']}"]
    await wait_pending(api, mgr, f"{eid}:gate")
