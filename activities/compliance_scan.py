"""compliance_scan: detection with the worker's one analyzer (compliance/runtime.py).
The output holds findings (masked snippets, salted hashes), never a detected value
beyond what `warn` deliberately passes on."""

from __future__ import annotations

import asyncio
from typing import Any

from activities.base import NodeError
from compliance.findings import findings_in, mask_value
from compliance.runtime import scanner
from workflows.nodes.compliance_scan import ComplianceScanConfig


async def run(config: ComplianceScanConfig, call, deps) -> Any:
    found = scanner(deps.settings)
    findings = await asyncio.to_thread(findings_in, found.detector, found.salt, config.value, node=call.node_id,
                                       source="payload")
    if config.entities:
        findings = [f for f in findings if f.entity in config.entities]
    if config.mode == "block" and findings:
        entities = sorted({f.entity for f in findings})
        raise NodeError("compliance_violation", f"{len(findings)} finding(s) of {', '.join(entities)} at "
                        f"{', '.join(sorted({f.path for f in findings}))}")
    value = await asyncio.to_thread(mask_value, found.detector, config.value) if config.mode == "mask" \
        else config.value
    return {"value": value, "clean": not findings, "findings": [f.model_dump(mode="json") for f in findings]}
