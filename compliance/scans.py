"""Scans: a workflow version statically (literals in its configs and inputs
schema, and its data flows), executions dynamically (their recorded run
inputs, node outputs and errors), an ad-hoc payload. Pure over plain data:
the API and the worker load the rows and store the result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from compliance.detect import Detector
from compliance.findings import Finding, findings_in
from compliance.flows import Flow, flows
from compliance.mapping import MAPPING_VERSION


class ScanSummary(BaseModel):
    findings: int = 0
    by_entity: dict[str, int] = Field(default_factory=dict)
    by_class: dict[str, int] = Field(default_factory=dict)
    by_source: dict[str, int] = Field(default_factory=dict)
    executions: int = Field(0, description="executions scanned")
    mapping_version: str = MAPPING_VERSION


class ScanResult(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    summary: ScanSummary = Field(default_factory=ScanSummary)


@dataclass(frozen=True)
class RecordedExecution:
    """What the platform recorded of one run (the executions row)."""

    id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, Any] = field(default_factory=dict)  # node id -> NodeSummary as JSON
    error: dict[str, Any] | None = None


def summarize(findings: list[Finding], executions: int = 0) -> ScanSummary:
    return ScanSummary(findings=len(findings), executions=executions,
                       by_entity=dict(Counter(f.entity for f in findings)),
                       by_class=dict(Counter(c for f in findings for c in f.classes)),
                       by_source=dict(Counter(f.source for f in findings)))


def scan_payload(detector: Detector, salt: bytes, payload: Any) -> ScanResult:
    found = findings_in(detector, salt, payload)
    return ScanResult(findings=found, summary=summarize(found))


def scan_definition(detector: Detector, salt: bytes, definition: dict[str, Any]) -> list[Finding]:
    """Literals written into the version: node configs and the inputs schema (defaults, examples)."""
    found = findings_in(detector, salt, definition.get("inputs"), path="$.inputs", source="schema")
    for index, node in enumerate(definition.get("nodes", [])):
        if isinstance(node, dict):
            found += findings_in(detector, salt, node.get("config", {}), path=f"$.nodes[{index}].config",
                                 node=node.get("id"), source="config")
    return found


def scan_execution(detector: Detector, salt: bytes, run: RecordedExecution) -> list[Finding]:
    found = findings_in(detector, salt, run.inputs, path="$.inputs", source="inputs", execution_id=run.id)
    for node_id, summary in (run.nodes or {}).items():
        summary = summary if isinstance(summary, dict) else {}
        found += findings_in(detector, salt, summary.get("output"), path=f"$.nodes.{node_id}.output",
                             node=node_id, source="output", execution_id=run.id)
        found += findings_in(detector, salt, summary.get("error"), path=f"$.nodes.{node_id}.error",
                             node=node_id, source="error", execution_id=run.id)
    found += findings_in(detector, salt, run.error, path="$.error", source="error", execution_id=run.id)
    return found


def observed_entities(findings: Iterable[Finding]) -> dict[str, set[str]]:
    """`inputs.<name>` or node id -> entities the runs' recorded data held there."""
    seen: dict[str, set[str]] = {}
    for f in findings:
        if f.source == "inputs":
            name = f.path.removeprefix("$.inputs").lstrip(".").split(".")[0].split("[")[0]
            if name:
                seen.setdefault(f"inputs.{name}", set()).add(f.entity)
        elif f.source == "output" and f.node:
            seen.setdefault(f.node, set()).add(f.entity)
    return seen


def scan_workflow(detector: Detector, salt: bytes, definition: dict[str, Any],
                  executions: list[RecordedExecution], *, default_llm_url: str | None = None) -> ScanResult:
    static = scan_definition(detector, salt, definition)
    dynamic = [f for run in executions for f in scan_execution(detector, salt, run)]
    reach = flows(definition, default_llm_url=default_llm_url, observed=observed_entities(dynamic))
    found = static + dynamic
    return ScanResult(findings=found, flows=reach, summary=summarize(found, len(executions)))
