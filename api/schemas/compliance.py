"""Compliance scans: findings (never a raw value), flows and summaries."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import FromRow, Strict, UtcDatetime
from compliance.findings import Finding
from compliance.flows import Flow
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


class PayloadScanAnswer(ScanDetail):
    masked: Any = Field(None, description="the payload with every detection masked, when asked")
