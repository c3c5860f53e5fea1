"""Users, roles, tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import FromRow, Strict

ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
MAX_ROLES = 20
Role = Annotated[str, Field(pattern=ROLE_PATTERN)]


class UserCreate(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)


class UserPublic(FromRow):
    id: str
    username: str
    is_admin: bool
    roles: list[str] = Field(default_factory=list, description="what approvers `role:<name>` match")
    disabled: bool = Field(False, description="a disabled account cannot log in or use any token or key")
    created_at: datetime


class RolesUpdate(Strict):
    roles: list[Role] = Field(max_length=MAX_ROLES,
                              description="replaces the user's roles; duplicates are dropped, order is kept")

    @field_validator("roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        if "admin" in roles:
            raise ValueError("admin is a flag, not a role")
        return list(dict.fromkeys(roles))


class Me(UserPublic):
    scopes: list[str]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    scope: str
    refresh_token: str = Field(description="exchange it at POST /api/v1/auth/refresh for a new pair; "
                                           "usable once")
    refresh_expires_in: int = Field(description="seconds the refresh token stays usable")


class RefreshRequest(Strict):
    refresh_token: str = Field(max_length=100)


class PasswordChange(Strict):
    current_password: str = Field(max_length=256)
    new_password: str = Field(min_length=8, max_length=256)
