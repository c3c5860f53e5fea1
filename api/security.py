"""Passwords (argon2id via pwdlib), access tokens (JWT HS256 via joserfc) and the
opaque random tokens behind API keys and refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import GuestProtocol, OctKey
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
# Clock difference tolerated between API processes for `exp` and a future `iat`.
LEEWAY_S = 30

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return _hasher.verify(password, password_hash or _DUMMY_HASH) and password_hash is not None


def allowed_scopes(is_admin: bool) -> list[str]:
    return [*USER_SCOPES, "admin"] if is_admin else list(USER_SCOPES)


def opaque_token(prefix: str) -> str:
    """`prefix` + 256 random bits (43 base64url characters)."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of an opaque token. A plain SHA-256 is right here (unlike for
    passwords): the token is 256 random bits, so there is nothing to guess from it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    scopes: frozenset[str]
    # users.token_version when the token was issued: a bump revokes every older token.
    version: int


def key_id(secret: str) -> str:
    """Names a key in the token header without revealing it: a domain-separated,
    truncated SHA-256 (a preimage of a 32+ character random key is out of reach)."""
    return hashlib.sha256(b"agentic-jwt-kid:" + secret.encode()).hexdigest()[:16]


class TokenCodec:
    """Issues with the current key; verifies with the current or a previous one
    (rotation), chosen by the token's `kid`. Refuses tokens that live longer
    than `max_lifetime_s` (`exp - iat`), carry no `iat`, or are issued in the future."""

    def __init__(self, secret: str, expiry_minutes: int, *, previous: Sequence[str] = (),
                 max_lifetime_s: int | None = None, leeway_s: int = LEEWAY_S):
        self.kid = key_id(secret)
        self._keys = {key_id(k): OctKey.import_key(k) for k in (*previous, secret)}
        self.expiry_s = expiry_minutes * 60
        self.max_lifetime_s = self.expiry_s if max_lifetime_s is None else max_lifetime_s
        self._leeway_s = leeway_s

    def issue(self, user_id: str, scopes: list[str], version: int) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "scope": " ".join(scopes), "iat": now, "exp": now + self.expiry_s,
                  "ver": version, "jti": uuid.uuid4().hex}
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}, claims, self._keys[self.kid])

    def verify(self, token: str) -> TokenClaims:
        """Only HS256 with one of our keys: `alg: none`, other algorithms, an unknown
        or missing `kid`, a wrong key, a changed byte, an expired or over-long token
        all raise InvalidToken."""
        try:
            decoded = jwt.decode(token, self._key_for, algorithms=[ALGORITHM])
            jwt.JWTClaimsRegistry(leeway=self._leeway_s, exp={"essential": True}, iat={"essential": True},
                                  sub={"essential": True}).validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as err:
            raise InvalidToken(str(err) or type(err).__name__) from None
        claims = decoded.claims
        sub, scope, version = claims["sub"], claims.get("scope", ""), claims.get("ver")
        if not isinstance(sub, str) or not isinstance(scope, str) or type(version) is not int:
            raise InvalidToken("malformed claims")
        if claims["exp"] - claims["iat"] > self.max_lifetime_s:
            raise InvalidToken("token lifetime over the maximum")
        return TokenClaims(user_id=sub, scopes=frozenset(scope.split()), version=version)

    def _key_for(self, token: GuestProtocol) -> OctKey:
        key = self._keys.get(token.headers().get("kid"))
        if key is None:
            raise InvalidToken("unknown key id")
        return key
