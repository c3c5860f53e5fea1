"""Compliance scans: findings (never a raw value), flows and summaries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import FromRow, Strict, UtcDatetime
from compliance.findings import Finding
from compliance.flows import Flow
from compliance.policies import Rule, Severity
from compliance.scans import ScanSummary

MAX_TEXT_CHARS = 262_144


class PayloadScanRequest(Strict):
    payload: Any = Field(description="any JSON value or text; every string and number in it is scanned")
    mask: bool = Field(False, description="also answer the payload with every detection masked")


class ScanPublic(FromRow):
    id: str
    kind: str = Field(description="workflow (its latest version and recent executions) or payload")
    workflow_id: str | None
    version: int | None
    status: str
    summary: ScanSummary
    created_at: UtcDatetime
    finished_at: UtcDatetime | None


class ScanDetail(ScanPublic):
    findings: list[Finding]
    flows: list[Flow] = Field(description="nodes that send data out, with the inputs and outputs that reach them")
    violations: list[ViolationPublic] = Field(default_factory=list, description="found by this scan (a workflow's)")


class PayloadScanAnswer(ScanDetail):
    masked: Any = Field(None, description="the payload with every detection masked, when asked")


class PolicyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    rules: list[Rule] = Field(min_length=1, max_length=50)
    replaces: str | None = Field(None, description="a built-in pack this policy stands in for, e.g. builtin:gdpr")
    enabled: bool = True


class PolicyUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    rules: list[Rule] | None = Field(None, min_length=1, max_length=50)
    replaces: str | None = None
    enabled: bool | None = None


class PolicyPublic(BaseModel):
    id: str
    builtin: bool
    name: str
    description: str
    rules: list[Rule]
    replaces: str | None = None
    enabled: bool = True
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class ViolationPublic(FromRow):
    id: str
    workflow_id: str | None
    scan_id: str | None
    policy_id: str
    policy_name: str
    rule: str
    severity: Severity
    node: str | None
    evidence: dict[str, Any]
    remediation: str
    status: Literal["open", "acknowledged", "resolved"]
    history: list[dict[str, Any]]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    last_seen_at: UtcDatetime


class ViolationChange(Strict):
    comment: str = Field("", max_length=2000)


ScanDetail.model_rebuild()
PayloadScanAnswer.model_rebuild()
