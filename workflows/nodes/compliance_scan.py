"""compliance_scan: checks data for personal data on its way through a
workflow (handler: activities/compliance_scan.py, detection: compliance/)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from workflows.node_types import NodeConfig, NodeType


class ComplianceScanConfig(NodeConfig):
    value: Any = Field(description="the data to check: any JSON value; templates over inputs and upstream outputs")
    mode: Literal["block", "mask", "warn"] = Field(
        "warn", description="block: fail with compliance_violation when anything is found; mask: pass the value on "
        "with every detection masked; warn: pass it on unchanged, findings beside it")
    entities: list[str] = Field(default_factory=list, max_length=50,
                                description="only these entities count (e.g. US_SSN); empty: every entity")


NODE_TYPE = NodeType(
    name="compliance_scan",
    config_model=ComplianceScanConfig,
    description="Finds personal data in a value: blocks the run, masks the value or warns.",
    default_timeout_s=60,
    default_max_attempts=1,  # the same data gives the same answer
)
