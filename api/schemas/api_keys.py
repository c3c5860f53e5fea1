"""API keys: what a caller sends to create one, and what is shown of one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from api.schemas.common import FromRow, Strict

Scope = Literal["read", "write", "execute", "delete", "admin"]


class ApiKeyCreate(Strict):
    # No control characters: the name is shown in listings and logs.
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    scopes: list[Scope] = Field(min_length=1, max_length=5,
                                description="a subset of the scopes of the token creating the key")
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="unset: the key does not expire")

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        return sorted(set(scopes))


class ApiKeyPublic(FromRow):
    id: str
    user_id: str
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it by")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself, shown this once only: send it as `Authorization: Bearer agk_...`")
