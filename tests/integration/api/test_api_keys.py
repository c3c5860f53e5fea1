"""API keys (issue 10.8a): shown once, stored hashed, scoped, revocable, expiring,
last use recorded at most once a minute, and never more than the owner has now."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.db.models import ApiKey, User

from .conftest import login
from .graphs import three_nodes
from .test_unhappy import assert_error

KEYS = "/api/v1/auth/api-keys"
ME = "/api/v1/auth/me"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def create_key(api, headers, scopes=("read",), **body) -> dict:
    response = await api.post(KEYS, json={"name": "ci", "scopes": list(scopes), **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def listed(api, headers, **params) -> list[dict]:
    response = await api.get(KEYS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def set_key(app, key_id: str, **values) -> None:
    async with app.state.agentic.sessions() as session:
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(**values))
        await session.commit()


async def set_user(app, user_id: str, **values) -> None:
    async with app.state.agentic.sessions() as session:
        await session.execute(update(User).where(User.id == user_id).values(**values))
        await session.commit()


async def test_a_key_is_shown_once_stored_hashed_and_works_with_its_scopes_only(api, app, make_user):
    _, headers = await make_user()
    user_id = (await api.get(ME, headers=headers)).json()["id"]
    created = await create_key(api, headers, scopes=["read", "read"], name="deploy bot")
    key = created["key"]
    assert key.startswith("agk_") and len(key) == 47
    assert created["prefix"] == key[:12] and created["scopes"] == ["read"] and created["user_id"] == user_id
    assert created["last_used_at"] is None and created["expires_at"] is None and created["revoked_at"] is None

    me = (await api.get(ME, headers=bearer(key))).json()
    assert me["id"] == user_id and me["scopes"] == ["read"]
    assert (await api.get("/api/v1/workflows", headers=bearer(key))).status_code == 200
    assert_error(await api.post("/api/v1/workflows", json=three_nodes(), headers=bearer(key)),
                 403, "insufficient_scope")

    listing = await api.get(KEYS, headers=headers)
    assert key not in listing.text and key[12:] not in listing.text
    [item] = listing.json()["items"]
    assert "key" not in item and item["id"] == created["id"] and item["prefix"] == key[:12]
    async with app.state.agentic.sessions() as session:
        row = await session.get(ApiKey, created["id"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert all(key[12:] not in str(value) for value in vars(row).values())


async def test_a_key_gets_no_scope_its_creator_lacks(api, make_user):
    username, _ = await make_user()
    narrow = await login(api, username, "pw-" + username, "read write")
    assert_error(await api.post(KEYS, json={"name": "x", "scopes": ["execute"]}, headers=narrow),
                 403, "insufficient_scope")
    assert_error(await api.post(KEYS, json={"name": "x", "scopes": ["read", "admin"]}, headers=narrow),
                 403, "insufficient_scope")
    assert await listed(api, narrow) == []
    assert (await create_key(api, narrow, scopes=["write", "read"]))["scopes"] == ["read", "write"]


async def test_bad_key_requests_are_422(api, make_user):
    _, headers = await make_user()
    for body in ({"name": "x", "scopes": ["root"]}, {"name": "x", "scopes": []}, {"name": "x"},
                 {"name": "", "scopes": ["read"]}, {"name": "a\nb", "scopes": ["read"]},
                 {"name": "x" * 101, "scopes": ["read"]}, {"name": "x", "scopes": ["read"], "expires_in_days": 0},
                 {"name": "x", "scopes": ["read"], "owner": "someone"}):
        assert_error(await api.post(KEYS, json=body, headers=headers), 422, "validation_error")
    assert_error(await api.get(KEYS, params={"limit": 0}, headers=headers), 422, "validation_error")
    assert_error(await api.delete(f"{KEYS}/not%00an-id", headers=headers), 422, "validation_error")
    assert await listed(api, headers) == []


async def test_a_key_cannot_mint_keys_log_out_or_change_the_password(api, make_user):
    username, headers = await make_user()
    key = (await create_key(api, headers, scopes=["read", "write", "execute", "delete"]))["key"]
    assert_error(await api.post(KEYS, json={"name": "child", "scopes": ["read"]}, headers=bearer(key)),
                 403, "login_required")
    assert_error(await api.post("/api/v1/auth/logout", headers=bearer(key)), 403, "login_required")
    body = {"current_password": "pw-" + username, "new_password": "another-password"}
    assert_error(await api.post("/api/v1/auth/password", json=body, headers=bearer(key)), 403, "login_required")
    assert len(await listed(api, headers)) == 1
    assert (await api.get(ME, headers=headers)).status_code == 200  # the session was not logged out
    # A key may list its owner's keys and revoke itself.
    [item] = await listed(api, bearer(key))
    assert (await api.delete(f"{KEYS}/{item['id']}", headers=bearer(key))).status_code == 204
    assert_error(await api.get(ME, headers=bearer(key)), 401, "unauthorized")


async def test_revoked_expired_and_malformed_keys_are_401(api, app, make_user):
    _, headers = await make_user()
    revoked, expired = await create_key(api, headers), await create_key(api, headers, expires_in_days=1)
    created_at = datetime.fromisoformat(expired["created_at"])
    assert datetime.fromisoformat(expired["expires_at"]) - created_at >= timedelta(hours=23)
    assert (await api.get(ME, headers=bearer(expired["key"]))).status_code == 200

    assert (await api.delete(f"{KEYS}/{revoked['id']}", headers=headers)).status_code == 204
    assert (await api.delete(f"{KEYS}/{revoked['id']}", headers=headers)).status_code == 204  # no change
    error = assert_error(await api.get(ME, headers=bearer(revoked["key"])), 401, "unauthorized")
    assert "API key" in error["message"]
    assert [k["id"] for k in await listed(api, headers)] == [expired["id"]]
    [shown] = [k for k in await listed(api, headers, include_revoked="true") if k["id"] == revoked["id"]]
    assert shown["revoked_at"] is not None

    await set_key(app, expired["id"], expires_at=datetime.now(created_at.tzinfo) - timedelta(seconds=1))
    assert_error(await api.get(ME, headers=bearer(expired["key"])), 401, "unauthorized")
    for bad in ("agk_", "agk_" + "A" * 43, expired["key"][:-1], expired["key"] + "x"):
        assert_error(await api.get(ME, headers=bearer(bad)), 401, "unauthorized")


async def test_another_users_key_is_404_and_an_admin_sees_and_revokes_every_key(api, make_user, admin_headers):
    _, owner = await make_user()
    _, other = await make_user()
    owner_id = (await api.get(ME, headers=owner)).json()["id"]
    key = await create_key(api, owner)
    assert_error(await api.delete(f"{KEYS}/{key['id']}", headers=other), 404, "not_found")
    assert_error(await api.delete(f"{KEYS}/no-such-key", headers=owner), 404, "not_found")
    assert await listed(api, other) == [] and await listed(api, other, user_id=owner_id) == []
    assert (await api.get(ME, headers=bearer(key["key"]))).status_code == 200

    assert [k["id"] for k in await listed(api, admin_headers, user_id=owner_id)] == [key["id"]]
    assert key["id"] in [k["id"] for k in await listed(api, admin_headers, limit=200)]
    assert (await api.delete(f"{KEYS}/{key['id']}", headers=admin_headers)).status_code == 204
    assert_error(await api.get(ME, headers=bearer(key["key"])), 401, "unauthorized")


async def test_last_used_at_moves_at_most_once_a_minute(api, app, make_user):
    _, headers = await make_user()
    key = await create_key(api, headers)
    assert (await listed(api, headers))[0]["last_used_at"] is None
    assert (await api.get(ME, headers=bearer(key["key"]))).status_code == 200
    first = datetime.fromisoformat((await listed(api, headers))[0]["last_used_at"])

    recent = first - timedelta(seconds=10)  # written 10 s ago: not written again
    await set_key(app, key["id"], last_used_at=recent)
    assert (await api.get(ME, headers=bearer(key["key"]))).status_code == 200
    assert datetime.fromisoformat((await listed(api, headers))[0]["last_used_at"]) == recent

    stale = first - timedelta(minutes=2)
    await set_key(app, key["id"], last_used_at=stale)
    assert (await api.get(ME, headers=bearer(key["key"]))).status_code == 200
    assert datetime.fromisoformat((await listed(api, headers))[0]["last_used_at"]) > stale


async def test_a_key_speaks_for_its_owner_as_the_owner_is_now(api, app, make_user):
    username, _ = await make_user()
    user_id = (await api.get(ME, headers=await login(api, username, "pw-" + username))).json()["id"]
    await set_user(app, user_id, is_admin=True)
    admin_session = await login(api, username, "pw-" + username)
    key = (await create_key(api, admin_session, scopes=["read", "admin"]))["key"]
    assert (await api.get(ME, headers=bearer(key))).json()["scopes"] == ["admin", "read"]
    assert (await api.put(f"/api/v1/auth/users/{user_id}/roles", json={"roles": ["ops"]},
                          headers=bearer(key))).status_code == 200
    # No longer an admin: the key keeps only what the account still has.
    await set_user(app, user_id, is_admin=False)
    assert (await api.get(ME, headers=bearer(key))).json()["scopes"] == ["read"]
    assert_error(await api.put(f"/api/v1/auth/users/{user_id}/roles", json={"roles": []},
                               headers=bearer(key)), 403, "insufficient_scope")
    # Disabled: refused; enabled again: it works again (the key was not revoked).
    await set_user(app, user_id, disabled=True)
    assert_error(await api.get(ME, headers=bearer(key)), 401, "unauthorized")
    await set_user(app, user_id, disabled=False)
    assert (await api.get(ME, headers=bearer(key))).status_code == 200


async def test_logout_keeps_keys_and_an_admins_revoke_tokens_ends_them(api, app, make_user, admin_headers):
    username, headers = await make_user()
    user_id = (await api.get(ME, headers=headers)).json()["id"]
    key = (await create_key(api, headers))["key"]
    assert (await api.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await api.get(ME, headers=bearer(key))).status_code == 200
    assert (await api.post(f"/api/v1/auth/users/{user_id}/revoke-tokens", headers=admin_headers)).status_code == 204
    assert_error(await api.get(ME, headers=bearer(key)), 401, "unauthorized")
    async with app.state.agentic.sessions() as session:
        rows = (await session.scalars(select(ApiKey).where(ApiKey.user_id == user_id))).all()
    assert [row.revoked_at is not None for row in rows] == [True]


async def test_the_live_key_limit(api, app, make_user, monkeypatch):
    from api.routes import api_keys as routes

    monkeypatch.setattr(routes, "MAX_LIVE_KEYS", 2)
    _, headers = await make_user()
    first, _ = await create_key(api, headers), await create_key(api, headers)
    assert_error(await api.post(KEYS, json={"name": "third", "scopes": ["read"]}, headers=headers),
                 409, "too_many_api_keys")
    assert (await api.delete(f"{KEYS}/{first['id']}", headers=headers)).status_code == 204
    await create_key(api, headers)
