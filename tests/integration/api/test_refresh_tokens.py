"""Refresh tokens (issue 10.8b): rotation, reuse detection that ends the family,
expiry, and revocation by logout, password change, an admin and a disabled account."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from core.db.base import utcnow
from core.db.models import RefreshToken, User

from .conftest import another_app, asgi_client
from .test_api_keys import bearer, create_key, set_user
from .test_unhappy import assert_error

REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"


async def log_in(api, username: str, password: str | None = None, scope: str | None = None) -> dict:
    form = {"username": username, "password": password or "pw-" + username}
    if scope is not None:
        form["scope"] = scope
    response = await api.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(api, token: str):
    return await api.post(REFRESH, json={"refresh_token": token})


async def refreshed(api, token: str) -> dict:
    response = await refresh(api, token)
    assert response.status_code == 200, response.text
    return response.json()


async def test_refresh_rotates_and_keeps_the_logins_scopes(api, app, make_user):
    username, _ = await make_user()
    pair = await log_in(api, username, scope="read")
    assert pair["refresh_token"].startswith("agr_") and pair["refresh_expires_in"] > 0
    new = await refreshed(api, pair["refresh_token"])
    assert new["refresh_token"] != pair["refresh_token"] and new["access_token"] != pair["access_token"]
    assert new["scope"] == "read" and new["token_type"] == "bearer"
    me = (await api.get(ME, headers=bearer(new["access_token"]))).json()
    assert me["username"] == username and me["scopes"] == ["read"]
    # Stored hashed, both in the login's family: the database holds neither token.
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in (pair["refresh_token"], new["refresh_token"])]
    async with app.state.agentic.sessions() as session:
        first = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digests[0]))
        family = (await session.scalars(select(RefreshToken).where(RefreshToken.family_id == first.family_id)
                                        .order_by(RefreshToken.created_at))).all()
    assert [row.token_hash for row in family] == digests and first.user_id == me["id"]
    assert family[0].used_at is not None and family[1].used_at is None
    # And again from the new one: a chain, not a single exchange.
    assert (await refreshed(api, new["refresh_token"]))["scope"] == "read"


async def test_reusing_a_used_refresh_token_ends_its_family_only(api, make_user):
    username, _ = await make_user()
    laptop, phone = await log_in(api, username), await log_in(api, username)
    stolen = laptop["refresh_token"]
    rotated = await refreshed(api, stolen)  # the legitimate client refreshes
    assert_error(await refresh(api, stolen), 401, "invalid_refresh_token")  # the thief replays
    # The replay revoked the whole family: the legitimate successor is dead too.
    assert_error(await refresh(api, rotated["refresh_token"]), 401, "invalid_refresh_token")
    # Another login's family is not touched.
    assert (await refreshed(api, phone["refresh_token"]))["access_token"]


async def test_concurrent_uses_of_one_refresh_token_yield_one_pair_then_none(api, make_user):
    username, _ = await make_user()
    token = (await log_in(api, username))["refresh_token"]
    answers = await asyncio.gather(*(refresh(api, token) for _ in range(5)))
    winners = [a.json() for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.text for a in answers]
    for answer in answers:
        if answer.status_code != 200:
            assert_error(answer, 401, "invalid_refresh_token")
    assert_error(await refresh(api, winners[0]["refresh_token"]), 401, "invalid_refresh_token")


async def test_bad_refresh_requests(api):
    for token in ("agr_" + "A" * 43, "not-a-token", ""):
        assert_error(await refresh(api, token), 401, "invalid_refresh_token")
    # A lone surrogate (a valid JSON escape, not text): refused as input, not a 500.
    response = await api.post(REFRESH, content=b'{"refresh_token": "\\ud800"}',
                              headers={"content-type": "application/json"})
    assert_error(response, 422, "validation_error")
    assert_error(await api.post(REFRESH, json={}), 422, "validation_error")
    assert_error(await api.post(REFRESH, json={"refresh_token": "x", "scope": "admin"}), 422, "validation_error")
    assert_error(await api.post(REFRESH, json={"refresh_token": "x" * 101}), 422, "validation_error")


async def test_an_expired_refresh_token_is_refused(api, app, make_user):
    username, _ = await make_user()
    pair = await log_in(api, username)
    digest = hashlib.sha256(pair["refresh_token"].encode()).hexdigest()
    async with app.state.agentic.sessions() as session:
        await session.execute(update(RefreshToken).where(RefreshToken.token_hash == digest)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")


async def test_no_refresh_outlives_the_logins_maximum(api_settings, client, make_user):
    username, _ = await make_user()
    settings = api_settings.model_copy(update={"refresh_expiry_hours": 2, "refresh_session_max_hours": 1})
    async with another_app(settings, client) as application, asgi_client(application) as http:
        pair = await log_in(http, username)
        assert 3500 <= pair["refresh_expires_in"] <= 3600
        assert (await refreshed(http, pair["refresh_token"]))["refresh_expires_in"] <= 3600
    settings = api_settings.model_copy(update={"refresh_expiry_hours": 0.5})
    async with another_app(settings, client) as application, asgi_client(application) as http:
        assert 1700 <= (await log_in(http, username))["refresh_expires_in"] <= 1800


async def test_logout_revokes_every_refresh_token_of_the_caller(api, make_user):
    username, _ = await make_user()
    laptop, phone = await log_in(api, username), await log_in(api, username)
    assert (await api.post("/api/v1/auth/logout", headers=bearer(laptop["access_token"]))).status_code == 204
    for pair in (laptop, phone):
        assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")
    assert (await refreshed(api, (await log_in(api, username))["refresh_token"]))["access_token"]


async def test_a_password_change_ends_every_session_but_not_the_keys(api, make_user):
    username, _ = await make_user()
    laptop, phone = await log_in(api, username), await log_in(api, username)
    key = (await create_key(api, bearer(laptop["access_token"])))["key"]
    path, headers = "/api/v1/auth/password", bearer(laptop["access_token"])

    wrong = {"current_password": "not-it", "new_password": "a-new-password"}
    assert_error(await api.post(path, json=wrong, headers=headers), 403, "wrong_password")
    short = {"current_password": "pw-" + username, "new_password": "short"}
    assert_error(await api.post(path, json=short, headers=headers), 422, "validation_error")
    assert (await refreshed(api, phone["refresh_token"]))  # nothing changed so far
    phone = await log_in(api, username)

    body = {"current_password": "pw-" + username, "new_password": "a-new-password"}
    assert (await api.post(path, json=body, headers=headers)).status_code == 204
    for pair in (laptop, phone):
        assert_error(await api.get(ME, headers=bearer(pair["access_token"])), 401, "unauthorized")
        assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(await api.post("/api/v1/auth/token", data={"username": username, "password": "pw-" + username}),
                 401, "invalid_credentials")
    assert (await log_in(api, username, "a-new-password"))["access_token"]
    assert (await api.get(ME, headers=bearer(key))).status_code == 200


async def test_wrong_current_passwords_lock_the_account(api, make_user):
    """A stolen access token cannot be used to guess the password: the attempts
    count towards the login lock (5 by default)."""
    username, _ = await make_user()
    headers = bearer((await log_in(api, username))["access_token"])
    wrong = {"current_password": "guess", "new_password": "a-new-password"}
    for _ in range(5):
        assert_error(await api.post("/api/v1/auth/password", json=wrong, headers=headers), 403, "wrong_password")
    right = {"current_password": "pw-" + username, "new_password": "a-new-password"}
    assert_error(await api.post("/api/v1/auth/password", json=right, headers=headers), 429, "rate_limited")


async def test_an_admins_revoke_tokens_ends_refresh_tokens(api, make_user, admin_headers):
    username, _ = await make_user()
    pair = await log_in(api, username)
    user_id = (await api.get(ME, headers=bearer(pair["access_token"]))).json()["id"]
    response = await api.post(f"/api/v1/auth/users/{user_id}/revoke-tokens", headers=admin_headers)
    assert response.status_code == 204
    assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")


async def test_a_token_version_bump_elsewhere_ends_refresh_tokens(api, app, make_user):
    """E.g. a new bootstrap admin password in the settings bumps the version directly."""
    username, _ = await make_user()
    pair = await log_in(api, username)
    user_id = (await api.get(ME, headers=bearer(pair["access_token"]))).json()["id"]
    async with app.state.agentic.sessions() as session:
        await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
        await session.commit()
    assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")


async def test_a_disabled_accounts_refresh_tokens_and_keys_fail(api, app, make_user):
    username, _ = await make_user()
    pair = await log_in(api, username)
    headers = bearer(pair["access_token"])
    user_id = (await api.get(ME, headers=headers)).json()["id"]
    key = (await create_key(api, headers))["key"]
    await set_user(app, user_id, disabled=True)
    assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(await api.get(ME, headers=bearer(key)), 401, "unauthorized")
    # Enabled again: the session's refresh family stays ended (log in again).
    await set_user(app, user_id, disabled=False)
    assert_error(await refresh(api, pair["refresh_token"]), 401, "invalid_refresh_token")
