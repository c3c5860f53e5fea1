"""Passwords (argon2id via pwdlib) and access tokens (JWT HS256 via joserfc)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

SCOPES = {
    "read": "read workflows and executions",
    "write": "create and update workflows",
    "execute": "start and cancel executions",
    "delete": "delete workflows",
    "admin": "see everything, terminate executions, save privileged node types",
}
USER_SCOPES = ("read", "write", "execute", "delete")
ALGORITHM = "HS256"

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return _hasher.verify(password, password_hash or _DUMMY_HASH) and password_hash is not None


def allowed_scopes(is_admin: bool) -> list[str]:
    return [*USER_SCOPES, "admin"] if is_admin else list(USER_SCOPES)


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    scopes: frozenset[str]


class TokenCodec:
    def __init__(self, secret: str, expiry_minutes: int):
        self._key = OctKey.import_key(secret)
        self.expiry_s = expiry_minutes * 60

    def issue(self, user_id: str, scopes: list[str]) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "scope": " ".join(scopes), "iat": now,
                  "exp": now + self.expiry_s, "jti": uuid.uuid4().hex}
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, self._key)

    def verify(self, token: str) -> TokenClaims:
        """Only HS256 with our key: `alg: none`, other algorithms, a wrong key,
        a changed byte or an expired token all raise InvalidToken."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            jwt.JWTClaimsRegistry(exp={"essential": True}, sub={"essential": True}).validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as err:
            raise InvalidToken(str(err) or type(err).__name__) from None
        scope = decoded.claims.get("scope", "")
        if not isinstance(decoded.claims["sub"], str) or not isinstance(scope, str):
            raise InvalidToken("malformed claims")
        return TokenClaims(user_id=decoded.claims["sub"], scopes=frozenset(scope.split()))
