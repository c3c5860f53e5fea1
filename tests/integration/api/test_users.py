"""Admin user listing and disabling: a disabled account's tokens, refresh
tokens and API keys stop at once; enabling lets it log in again."""

from __future__ import annotations

from .conftest import login
from .test_unhappy import assert_error

USERS = "/api/v1/auth/users"


async def register(api, make_user) -> tuple[str, str, dict]:
    username, headers = await make_user()
    me = (await api.get("/api/v1/auth/me", headers=headers)).json()
    return me["id"], username, headers


async def test_admin_lists_users_with_filters(api, make_user, admin_headers):
    user_id, username, _ = await register(api, make_user)
    page = (await api.get(USERS, params={"username": username.upper()}, headers=admin_headers)).json()
    assert [u["id"] for u in page["items"]] == [user_id] and page["total"] == 1
    assert page["items"][0]["disabled"] is False and "password_hash" not in page["items"][0]
    # LIKE wildcards in the prefix are literal.
    assert (await api.get(USERS, params={"username": "%"}, headers=admin_headers)).json()["total"] == 0
    everyone = (await api.get(USERS, params={"limit": 200}, headers=admin_headers)).json()
    assert everyone["total"] >= 2
    assert_error(await api.get(USERS, params={"limit": 0}, headers=admin_headers), 422)
    assert_error(await api.get(USERS, params={"role": "x"}, headers=admin_headers), 422)


async def test_disable_stops_tokens_refresh_and_keys_and_enable_restores_login(api, make_user, admin_headers):
    user_id, username, headers = await register(api, make_user)
    form = {"username": username, "password": "pw-" + username}
    refresh = (await api.post("/api/v1/auth/token", data=form)).json()["refresh_token"]
    key = (await api.post("/api/v1/auth/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=headers)).json()
    key_headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await api.get("/api/v1/workflows", headers=key_headers)).status_code == 200

    disabled = await api.post(f"{USERS}/{user_id}/disable", headers=admin_headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert_error(await api.get("/api/v1/auth/me", headers=headers), 401, "unauthorized")
    assert_error(await api.get("/api/v1/workflows", headers=key_headers), 401, "unauthorized")
    assert (await api.post("/api/v1/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    assert (await api.post("/api/v1/auth/token", data=form)).status_code == 401
    listed = (await api.get(USERS, params={"disabled": True, "username": username}, headers=admin_headers)).json()
    assert [u["id"] for u in listed["items"]] == [user_id]

    enabled = await api.post(f"{USERS}/{user_id}/enable", headers=admin_headers)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert_error(await api.get("/api/v1/auth/me", headers=headers), 401)  # old tokens stay revoked
    fresh = await login(api, username, "pw-" + username)
    assert (await api.get("/api/v1/auth/me", headers=fresh)).status_code == 200


async def test_disable_refusals(api, make_user, admin_headers):
    user_id, _, headers = await register(api, make_user)
    assert_error(await api.post(f"{USERS}/{user_id}/disable"), 401, "unauthorized")
    assert_error(await api.post(f"{USERS}/{user_id}/disable", headers=headers), 403)
    assert_error(await api.post(f"{USERS}/u_nobody/disable", headers=admin_headers), 404, "not_found")
    assert_error(await api.post(f"{USERS}/bad id!/disable", headers=admin_headers), 422)
    admin_id = (await api.get("/api/v1/auth/me", headers=admin_headers)).json()["id"]
    assert_error(await api.post(f"{USERS}/{admin_id}/disable", headers=admin_headers), 409, "cannot_disable_self")
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 200  # nothing happened to them
