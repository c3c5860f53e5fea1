"""Workflows, their immutable versions, validation reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from api.schemas.common import FromRow
from workflows.issues import Issue  # answered as the validator words it


class WorkflowPublic(FromRow):
    id: str
    owner_id: str
    name: str
    description: str
    tags: list[str]
    latest_version: int
    template_id: str | None = None  # deployed from this template (GET /templates/{id})
    template_version: int | None = None
    created_at: datetime
    updated_at: datetime


class WorkflowDetail(WorkflowPublic):
    definition: dict[str, Any]


class VersionPublic(FromRow):
    workflow_id: str
    version: int
    created_by: str
    created_at: datetime
    node_types: list[str]
    privileged: bool


class VersionDetail(VersionPublic):
    definition: dict[str, Any]


class ValidationReport(BaseModel):
    valid: bool
    issues: list[Issue]
