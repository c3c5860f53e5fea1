"""What every resource shares: the one `Strict` base, path ids, pages, the
error shape, and `FromRow` (a public model read off an ORM row)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")
MAX_INT = 2**31 - 1  # PostgreSQL integer

# Ids are UUIDs we made; anything else cannot name a resource (and must never
# reach PostgreSQL as, say, a NUL byte). ":" appears in the ids of scheduled runs
# ("sched-<schedule>-<RFC 3339 time>", named by Temporal).
ResourceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT)]


def utc(value: datetime) -> datetime:
    """Naive times are UTC (how we store them); aware ones are moved to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_iso(value: datetime | str | None) -> str | None:
    """The one way a time is written in an API answer: RFC 3339 in UTC with `Z`
    (the interpreter's and Temporal's times are ISO strings with `+00:00`)."""
    if value is None:
        return None
    moment = utc(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return moment.isoformat().replace("+00:00", "Z")


# Every time in a response model: read from a datetime or an ISO string, answered by utc_iso.
UtcDatetime = Annotated[datetime, AfterValidator(utc), PlainSerializer(utc_iso, return_type=str),
                        WithJsonSchema({"type": "string", "format": "date-time"})]


class Strict(BaseModel):
    """Every request body: an unknown field is a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class _RowView:
    """A row seen with some attributes given instead (computed fields such as
    `ui_url`, or values the answer states differently from the row)."""

    def __init__(self, row: Any, given: dict[str, Any]):
        self._row, self._given = row, given

    def __getattr__(self, name: str) -> Any:
        return self._given[name] if name in self._given else getattr(self._row, name)


class FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # routes may answer the ORM row itself

    @classmethod
    def of(cls, row: Any, **given: Any) -> Self:
        """The model read off `row`'s attributes, `given` taking precedence."""
        return cls.model_validate(_RowView(row, given), from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str] = Field(default_factory=dict)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any


class ErrorBody(BaseModel):
    error: ErrorDetail


# Documented on every route: the one error shape for every 4xx.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (400, "malformed request"), (401, "missing or invalid token"), (403, "insufficient scope"),
        (404, "not found (or not yours)"), (405, "method not allowed"), (409, "conflict"),
        (413, "body too large"), (422, "invalid request"), (503, "a dependency is unavailable"))
}
