"""Issue 8 item 10 and the username half of item 9 against the API: registration
rate-limited per client address, accounts locked after consecutive failed
logins (a growing lock, reset on success), failed logins limited per client
address, unknown usernames locked like real ones, usernames unique and looked
up regardless of case. Each throttling test runs its own API instance with
low limits (the session's instance has high ones for the fixtures)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core.db.models import User

from .conftest import another_app, asgi_client, login
from .test_unhappy import assert_error

PASSWORD = "right-password-1"


def fresh_name(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def instance(api_settings, client):
    """An API instance with its own (low) limits on the session's database."""

    def start(**limits):
        return another_app(api_settings.model_copy(update=limits), client)

    return start


async def register(http, username: str, password: str = PASSWORD):
    return await http.post("/api/v1/auth/register", json={"username": username, "password": password})


async def attempt(http, username: str, password: str):
    return await http.post("/api/v1/auth/token", data={"username": username, "password": password})


def retry_after(response) -> int:
    err = assert_error(response, 429, "rate_limited")
    seconds = int(response.headers["retry-after"])
    assert err["details"] == [{"retry_after_s": seconds}]
    return seconds


async def user_row(app, username: str) -> User:
    async with app.state.agentic.sessions() as session:
        return await session.scalar(select(User).where(func.lower(User.username) == username.lower()))


async def expire_lock(app, username: str) -> None:
    """Time passing, without waiting for it: the lock ended a second ago."""
    async with app.state.agentic.sessions() as session:
        await session.execute(update(User).where(User.username == username)
                              .values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()


async def test_registration_is_rate_limited_per_address(instance):
    taken = fresh_name()
    async with instance(register_per_minute=3) as application:
        async with asgi_client(application, "10.0.0.1") as prober, asgi_client(application, "10.0.0.2") as other:
            assert (await register(prober, taken)).status_code == 201
            assert_error(await register(prober, taken), 409, "username_taken")  # a probe counts too
            assert (await register(prober, fresh_name())).status_code == 201
            for name in (fresh_name(), taken):  # over the limit: neither new nor taken names are told apart
                assert 1 <= retry_after(await register(prober, name)) <= 60
            assert (await register(other, fresh_name())).status_code == 201


async def test_usernames_are_unique_and_found_regardless_of_case(api):
    name = fresh_name("pt_bob_")
    created = await register(api, name)
    assert created.status_code == 201, created.text
    assert_error(await register(api, name.upper()), 409, "username_taken")
    assert_error(await register(api, name[:4] + name[4:].upper()), 409, "username_taken")
    # Stored in lower case whatever the spelling at registration; any spelling logs in.
    mixed = fresh_name("Ada_")
    assert (await register(api, mixed)).json()["username"] == mixed.lower()
    for spelling in (mixed, mixed.lower(), mixed.upper()):
        headers = await login(api, spelling, PASSWORD)
        assert (await api.get("/api/v1/auth/me", headers=headers)).json()["username"] == mixed.lower()


async def test_account_locks_after_consecutive_failures_growing_and_reset_on_success(instance, app):
    name = fresh_name()
    async with instance(login_lock_after=3, login_lock_s=60, login_lock_max_s=600) as application:
        async with asgi_client(application) as http:
            assert (await register(http, name)).status_code == 201
            for _ in range(3):
                assert_error(await attempt(http, name, "wrong-password"), 401, "invalid_credentials")
            # Locked: even the right password is refused, so the lock is no oracle.
            first = retry_after(await attempt(http, name, PASSWORD))
            assert 1 <= first <= 60
            assert retry_after(await attempt(http, name.upper(), PASSWORD)) <= 60  # any spelling
            assert (await user_row(app, name)).failed_logins == 3

            await expire_lock(app, name)
            assert_error(await attempt(http, name, "wrong-password"), 401, "invalid_credentials")
            second = retry_after(await attempt(http, name, PASSWORD))
            assert 60 < second <= 120  # one more failure after the lock: twice as long

            await expire_lock(app, name)
            assert (await attempt(http, name, PASSWORD)).status_code == 200
            row = await user_row(app, name)
            assert (row.failed_logins, row.locked_until) == (0, None)
            # The count starts again from zero: one failure locks nothing.
            assert_error(await attempt(http, name, "wrong-password"), 401, "invalid_credentials")
            assert (await attempt(http, name, PASSWORD)).status_code == 200


async def test_unknown_usernames_lock_like_real_ones(instance):
    real, unknown = fresh_name(), fresh_name()
    async with instance(login_lock_after=2, login_lock_s=60) as application:
        async with asgi_client(application) as http:
            assert (await register(http, real)).status_code == 201
            answers = {}
            for name in (real, unknown):
                first = [await attempt(http, name, "wrong-password") for _ in range(2)]
                locked = await attempt(http, name, "wrong-password")
                retry_after(locked)
                # The seconds left may differ by one between the two: compare the rest.
                message = re.sub(r"\d+", "N", locked.json()["error"]["message"])
                answers[name] = [(r.status_code, r.json()) for r in first] + [(locked.status_code, message)]
            assert answers[real] == answers[unknown]
            # A name too long to exist is simply refused, however often.
            for _ in range(3):
                assert_error(await attempt(http, "x" * 5000, "wrong-password"), 401, "invalid_credentials")


async def test_failed_logins_are_limited_per_address(instance):
    name = fresh_name()
    async with instance(login_failures_per_minute=3, login_lock_after=100) as application:
        async with asgi_client(application, "10.0.1.1") as sprayer, asgi_client(application, "10.0.1.2") as owner:
            assert (await register(owner, name)).status_code == 201
            for _ in range(3):  # one guess each at many names: no account lock would catch it
                assert_error(await attempt(sprayer, fresh_name(), "guess-1234"), 401, "invalid_credentials")
            assert 1 <= retry_after(await attempt(sprayer, name, PASSWORD)) <= 60
            assert (await attempt(owner, name, PASSWORD)).status_code == 200
