"""Secrets: write-only values, so no model here answers one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, field_validator

from api.schemas.common import FromRow, Strict
from credentials.names import HOST_PATTERN, SECRET_NAME_PATTERN, SHARE_PATTERN, normalize_host

MAX_VALUE_CHARS = 65536


def _host(value: Any) -> Any:
    return normalize_host(value) if isinstance(value, str) else value


def _unique(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


SecretName = Annotated[str, Field(pattern=SECRET_NAME_PATTERN,
                                  description="referenced as {{ secrets.NAME }}: A-Z, 0-9, _; at most 64")]
Share = Annotated[str, Field(pattern=SHARE_PATTERN, description="role:<name>")]
Host = Annotated[str, BeforeValidator(_host), Field(max_length=253, pattern=HOST_PATTERN,
                                                    description="a host name, IPv4 address or *.domain")]
Value = Annotated[SecretStr, Field(min_length=1, max_length=MAX_VALUE_CHARS,
                                   description="write-only: never returned")]
Shares = Annotated[list[Share], Field(max_length=20, description="roles whose users may use it")]
Hosts = Annotated[list[Host], Field(max_length=50, description="hosts it may be sent to; empty: any")]


class SecretCreate(Strict):
    name: SecretName
    value: Value
    description: str = Field("", max_length=2000)
    shared_with: Shares = Field(default_factory=list)
    allowed_hosts: Hosts = Field(default_factory=list)

    _dedupe = field_validator("shared_with", "allowed_hosts")(classmethod(lambda cls, v: _unique(v)))


class SecretUpdate(Strict):
    """Only what is given changes."""

    value: Value | None = None
    description: str | None = Field(None, max_length=2000)
    shared_with: Shares | None = None
    allowed_hosts: Hosts | None = None

    _dedupe = field_validator("shared_with", "allowed_hosts")(classmethod(lambda cls, v: _unique(v)))


class SecretPublic(FromRow):
    """Metadata only: there is no value field, on purpose."""

    id: str
    name: str
    owner_id: str
    description: str
    shared_with: list[str]
    allowed_hosts: list[str]
    created_at: datetime
    updated_at: datetime
    value_updated_at: datetime
