"""The token attack of issue 8 against the running API: a token forged with the
old published default key for the admin's id with a 10-year expiry, an
over-long token signed with the real key, revoked tokens (logout, admin
revoke, disabled account), key rotation and unknown key ids."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy import update

from api.security import TokenCodec, key_id
from core.db.models import User

from .conftest import ADMIN_PASSWORD, JWT_SECRET, another_app, asgi_client, login
from .test_unhappy import assert_error

OLD_DEFAULT = "dev-only-change-me"
TEN_YEARS = 10 * 365 * 86400
NEW_SECRET = "rotated-secret-" + "n" * 40


def forge(secret: str, user_id: str, *, lifetime_s: int = 600, kid: bool = True, **claims) -> str:
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", **({"kid": key_id(secret)} if kid else {})}
    body = {"sub": user_id, "scope": "read write execute delete admin", "iat": now,
            "exp": now + lifetime_s, "ver": 0, **claims}
    return jwt.encode(header, {k: v for k, v in body.items() if v is not None}, OctKey.import_key(secret))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def me(api, headers) -> httpx.Response:
    return await api.get("/api/v1/auth/me", headers=headers)


async def serve(settings, client):
    async with another_app(settings, client) as application, asgi_client(application) as http:
        yield http


@pytest.fixture
async def unconfigured_api(api_settings, client, tmp_path):
    """An API as `make run` starts it: no AGENTIC_JWT_SECRET, development mode."""
    settings = api_settings.model_copy(update={"jwt_secret": None, "data_dir": str(tmp_path),
                                               "environment": "development"})
    async for http in serve(settings, client):
        yield http


async def test_token_forged_with_the_old_default_key_is_refused(api, unconfigured_api, admin_headers):
    admin_id = (await me(api, admin_headers)).json()["id"]  # ids are visible, e.g. in the Temporal UI
    for with_kid in (False, True):  # as the attack sent it, and naming the default key's id
        token = forge(OLD_DEFAULT, admin_id, lifetime_s=TEN_YEARS, kid=with_kid)
        assert_error(await me(unconfigured_api, bearer(token)), 401, "unauthorized")
        assert_error(await unconfigured_api.get("/api/v1/executions", headers=bearer(token)), 401, "unauthorized")
        token = forge(OLD_DEFAULT, admin_id, kid=with_kid)  # nor with an ordinary lifetime
        assert_error(await me(unconfigured_api, bearer(token)), 401, "unauthorized")
    # The installation's own generated key signs tokens that work.
    headers = await login(unconfigured_api, "admin", ADMIN_PASSWORD)
    assert (await me(unconfigured_api, headers)).json()["id"] == admin_id


async def test_over_long_token_signed_with_the_real_key_is_refused(api, make_user):
    username, headers = await make_user()
    user_id = (await me(api, headers)).json()["id"]
    # The same forgery with an ordinary lifetime passes: the lifetime alone is refused.
    assert (await me(api, bearer(forge(JWT_SECRET, user_id)))).status_code == 200
    assert_error(await me(api, bearer(forge(JWT_SECRET, user_id, lifetime_s=TEN_YEARS))), 401, "unauthorized")
    assert_error(await me(api, bearer(forge(JWT_SECRET, user_id, iat=None))), 401, "unauthorized")
    assert_error(await me(api, bearer(forge(JWT_SECRET, user_id, kid=False))), 401, "unauthorized")


async def test_logout_revokes_every_token_of_the_caller(api, make_user):
    username, laptop = await make_user()
    phone = await login(api, username, "pw-" + username)
    _, someone_else = await make_user()
    response = await api.post("/api/v1/auth/logout", headers=laptop)
    assert response.status_code == 204, response.text
    for headers in (laptop, phone):
        assert_error(await me(api, headers), 401, "unauthorized")
        assert_error(await api.post("/api/v1/auth/logout", headers=headers), 401, "unauthorized")
    assert (await me(api, someone_else)).status_code == 200
    fresh = await login(api, username, "pw-" + username)
    assert (await me(api, fresh)).status_code == 200


async def test_admin_revokes_a_users_tokens(api, make_user, admin_headers):
    username, headers = await make_user()
    _, other = await make_user()
    user_id = (await me(api, headers)).json()["id"]
    # Only an admin may, and an ordinary user's attempt changes nothing.
    assert_error(await api.post(f"/api/v1/auth/users/{user_id}/revoke-tokens", headers=other),
                 403, "insufficient_scope")
    assert (await me(api, headers)).status_code == 200
    assert_error(await api.post("/api/v1/auth/users/no-such-user/revoke-tokens", headers=admin_headers),
                 404, "not_found")
    response = await api.post(f"/api/v1/auth/users/{user_id}/revoke-tokens", headers=admin_headers)
    assert response.status_code == 204, response.text
    assert_error(await me(api, headers), 401, "unauthorized")
    assert (await me(api, other)).status_code == 200
    assert (await me(api, admin_headers)).status_code == 200
    assert (await me(api, await login(api, username, "pw-" + username))).status_code == 200


async def test_disabled_account_tokens_are_refused(api, app, make_user):
    _, headers = await make_user()
    user_id = (await me(api, headers)).json()["id"]
    async with app.state.agentic.sessions() as session:
        await session.execute(update(User).where(User.id == user_id).values(disabled=True))
        await session.commit()
    assert_error(await me(api, headers), 401, "unauthorized")


@pytest.fixture
async def rotated_api(api_settings, client):
    """A second API process of the same installation after a key rotation."""
    settings = api_settings.model_copy(update={"jwt_secret": NEW_SECRET, "jwt_previous_secrets": [JWT_SECRET]})
    async for http in serve(settings, client):
        yield http


async def test_rotation_keeps_old_tokens_and_refuses_unknown_key_ids(api, rotated_api, make_user):
    username, old_headers = await make_user()
    assert (await me(rotated_api, old_headers)).status_code == 200  # signed before the rotation
    new_headers = await login(rotated_api, username, "pw-" + username)
    kid = jwt.decode(new_headers["Authorization"].split()[1], OctKey.import_key(NEW_SECRET)).header["kid"]
    assert kid == key_id(NEW_SECRET)
    assert (await me(rotated_api, new_headers)).status_code == 200
    # The instance that never heard of the new key refuses its key id.
    assert_error(await me(api, new_headers), 401, "unauthorized")
    user_id = (await me(rotated_api, new_headers)).json()["id"]
    unknown = TokenCodec("never-configured-" + "u" * 40, 30).issue(user_id, ["read"], 0)
    assert_error(await me(rotated_api, bearer(unknown)), 401, "unauthorized")


async def test_a_new_admin_password_in_the_settings_revokes_the_old_sessions(api_settings, client):
    """The bootstrap admin's password follows the settings; changing it ends the tokens of
    the old one (a second admin name, so the session's admin keeps its tokens)."""
    name = f"boot{uuid.uuid4().hex[:10]}"
    first = api_settings.model_copy(update={"admin_username": name, "admin_password": "first-password-1"})
    async for http in serve(first, client):
        old = await login(http, name, "first-password-1")
    second = api_settings.model_copy(update={"admin_username": name, "admin_password": "second-password-2"})
    async for http in serve(second, client):
        assert_error(await me(http, old), 401, "unauthorized")
        new = await login(http, name, "second-password-2")
    async for http in serve(second, client):  # a restart with the same password revokes nothing
        assert (await me(http, new)).status_code == 200
