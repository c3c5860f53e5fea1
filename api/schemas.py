"""Request and response bodies: XCreate / XPublic families."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.plan import DebugOptions

T = TypeVar("T")
MAX_INT = 2**31 - 1  # PostgreSQL integer

# Ids are UUIDs we made; anything else cannot name a resource (and must never
# reach PostgreSQL as, say, a NUL byte). ":" appears in the ids of scheduled runs
# ("sched-<schedule>-<RFC 3339 time>", named by Temporal).
ResourceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# -- auth --------------------------------------------------------------------

class UserCreate(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    username: str
    is_admin: bool
    roles: list[str] = Field(default_factory=list, description="what approvers `role:<name>` match")
    created_at: datetime


ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
MAX_ROLES = 20
Role = Annotated[str, Field(pattern=ROLE_PATTERN)]


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


# -- workflows ---------------------------------------------------------------

class WorkflowPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    owner_id: str
    name: str
    description: str
    tags: list[str]
    latest_version: int
    created_at: datetime
    updated_at: datetime


class WorkflowDetail(WorkflowPublic):
    definition: dict[str, Any]


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    workflow_id: str
    version: int
    created_by: str
    created_at: datetime
    node_types: list[str]
    privileged: bool


class VersionDetail(VersionPublic):
    definition: dict[str, Any]


class Issue(BaseModel):
    code: str
    path: str
    message: str


class ValidationReport(BaseModel):
    valid: bool
    issues: list[Issue]


# -- executions --------------------------------------------------------------

class ExecutionCreate(Strict):
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(None, ge=1, le=MAX_INT, description="defaults to the latest version")
    debug: DebugOptions | None = Field(None, description="live breakpoints: pause before these nodes")


class ExecutionAccepted(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str
    temporal_workflow_id: str
    temporal_run_id: str | None
    ui_url: str


class NodeProgress(BaseModel):
    state: str
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    output: Any = None
    error: dict[str, Any] | None = None


class ExecutionPublic(BaseModel):
    id: str
    workflow_id: str | None
    version: int | None
    owner_id: str | None
    status: str
    inputs: dict[str, Any]
    temporal_workflow_id: str
    temporal_run_id: str | None
    ui_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None
    error: dict[str, Any] | None


class ExecutionDetail(ExecutionPublic):
    nodes: dict[str, NodeProgress]
    live: bool = Field(description="true when the progress came from the running workflow")


class ExecutionResult(BaseModel):
    id: str
    status: str
    outputs: dict[str, Any]
    error: dict[str, Any] | None


# -- health ------------------------------------------------------------------

class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str] = Field(default_factory=dict)


class ActionAccepted(BaseModel):
    id: str
    status: str


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
