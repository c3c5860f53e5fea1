"""Access tokens and their keys: key ids, rotation, the lifetime ceiling, and
the start refused for a missing, short or published key."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from pydantic import ValidationError

from api.app import create_app
from api.security import InvalidToken, TokenCodec, key_id
from api.settings import ApiSettings
from core.keys import KeyProblem

KEY = "current-key-" + "k" * 40
OLD = "previous-key-" + "p" * 40
DB = "postgresql://unused@127.0.0.1/unused"


def forge(secret: str, *, kid: str | None = "auto", **claims) -> str:
    """A token signed with `secret` whose header and claims the test chooses."""
    header = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = key_id(secret) if kid == "auto" else kid
    now = int(time.time())
    body = {"sub": "user-1", "scope": "read", "iat": now, "exp": now + 600, "ver": 0, **claims}
    return jwt.encode(header, {k: v for k, v in body.items() if v is not None}, OctKey.import_key(secret))


def test_issued_token_names_its_key_without_revealing_it():
    codec = TokenCodec(KEY, 30)
    token = codec.issue("user-1", ["read", "write"], 3)
    header = jwt.decode(token, OctKey.import_key(KEY)).header
    assert header["kid"] == key_id(KEY) == codec.kid
    assert KEY not in header["kid"] and len(header["kid"]) == 16
    claims = codec.verify(token)
    assert (claims.user_id, claims.scopes, claims.version) == ("user-1", frozenset({"read", "write"}), 3)


def test_rotation_accepts_previous_keys_and_signs_with_the_new_one():
    old_token = TokenCodec(OLD, 30).issue("user-1", ["read"], 0)
    rotated = TokenCodec(KEY, 30, previous=[OLD])
    assert rotated.verify(old_token).user_id == "user-1"
    new_token = rotated.issue("user-1", ["read"], 0)
    assert jwt.decode(new_token, OctKey.import_key(KEY)).header["kid"] == key_id(KEY)
    with pytest.raises(InvalidToken):
        TokenCodec(KEY, 30).verify(old_token)  # the old key dropped: its tokens end


@pytest.mark.parametrize("token", [
    forge(KEY, kid=None),                          # no key id at all
    forge(KEY, kid="0123456789abcdef"),            # a key id we never issued
    forge(OLD, kid=key_id(KEY)),                   # our key id, another key
    forge(KEY, iat=None),                          # no issue time: the lifetime is unknowable
    forge(KEY, iat=int(time.time()) + 3600, exp=int(time.time()) + 3900),  # issued in the future
    forge(KEY, exp=int(time.time()) + 10 * 365 * 86400),  # 10 years, signed with the real key
    forge(KEY, exp=int(time.time()) + 1801),       # one second over the 30-minute ceiling
    forge(KEY, ver=None),                          # no token version: cannot be revoked
    forge(KEY, ver="0"),
    forge(KEY, exp=int(time.time()) - 120),        # expired
], ids=["no-kid", "unknown-kid", "wrong-key", "no-iat", "future-iat", "ten-years", "over-ceiling",
        "no-ver", "string-ver", "expired"])
def test_refused(token):
    with pytest.raises(InvalidToken):
        TokenCodec(KEY, 30).verify(token)


def test_the_ceiling_follows_the_setting():
    long_lived = forge(KEY, exp=int(time.time()) + 3 * 3600)
    assert TokenCodec(KEY, 30, max_lifetime_s=4 * 3600).verify(long_lived).user_id == "user-1"
    with pytest.raises(InvalidToken):
        TokenCodec(KEY, 30, max_lifetime_s=2 * 3600).verify(long_lived)
    assert TokenCodec(KEY, 30).verify(forge(KEY, exp=int(time.time()) + 1800)).user_id == "user-1"


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize("field, value", [
    ("jwt_secret", "dev-only-change-me"),          # the old published default
    ("jwt_secret", "short-key"),
    ("jwt_secret", "CHANGEME"),
    ("jwt_previous_secrets", ["dev-only-change-me"]),
])
def test_weak_keys_refuse_the_start_in_every_mode(tmp_path, production, field, value):
    settings = ApiSettings(database_url=DB, data_dir=str(tmp_path),
                           environment="production" if production else "development",
                           **{"jwt_secret": KEY, field: value})
    with pytest.raises(KeyProblem, match="AGENTIC_JWT_") as refused:
        create_app(settings)
    assert str(value) not in str(refused.value)  # the message names the setting, never the value


def test_production_without_a_key_refuses_the_start(tmp_path):
    settings = ApiSettings(database_url=DB, data_dir=str(tmp_path), environment="production", jwt_secret=None)
    with pytest.raises(KeyProblem, match="AGENTIC_JWT_SECRET must be set in production"):
        create_app(settings)
    assert not (tmp_path / "keys").exists()


def test_development_without_a_key_generates_one_per_installation(tmp_path):
    first = ApiSettings(database_url=DB, data_dir=str(tmp_path), jwt_secret=None).jwt_keys()[0]
    again = ApiSettings(database_url=DB, data_dir=str(tmp_path), jwt_secret=None).jwt_keys()[0]
    elsewhere = ApiSettings(database_url=DB, data_dir=str(tmp_path / "other"), jwt_secret=None).jwt_keys()[0]
    assert first == again != elsewhere
    assert len(first) >= 32 and first != "dev-only-change-me"
    assert (tmp_path / "keys" / "agentic_jwt_secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("fields", [
    {"jwt_expiry_minutes": 10 * 365 * 24 * 60},                  # over a day
    {"jwt_max_lifetime_minutes": 2 * 24 * 60},
    {"jwt_expiry_minutes": 60, "jwt_max_lifetime_minutes": 30},  # would refuse its own tokens
])
def test_lifetime_settings_are_bounded(fields):
    with pytest.raises(ValidationError):
        ApiSettings(database_url=DB, jwt_secret=KEY, **fields)
