"""Bodies of /health/dependencies, /health/version and /api/v1/monitoring/stats."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DependencyPublic(BaseModel):
    status: Literal["ok", "down", "not_configured"]
    latency_ms: float | None = Field(None, description="how long the probe took")
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class DependenciesPublic(BaseModel):
    status: Literal["ok", "degraded"]
    dependencies: dict[str, DependencyPublic]


class PlatformVersion(BaseModel):
    version: str
    git_revision: str | None
    migration_head: str | None = Field(description="the newest migration this code ships")
    database_revision: str | None = Field(description="the migration the database is at (null: unreachable)")
    temporal_server_version: str | None = Field(description="null: Temporal unreachable")


class MonitoringStats(BaseModel):
    scope: Literal["all", "own"] = Field(description="all: an admin's view of every user's executions")
    executions_by_status: dict[str, int]
    running: int
    approvals_waiting: int
    window_hours: int
    finished_in_window: int
    failed_in_window: int
    failure_rate: float | None = Field(description="failed / finished in the window; null: none finished")
