"""/api/v1/enterprise/compliance: scans for personal data (compliance/).

A workflow's scan covers its latest version statically and its recent
executions' recorded data; an ad-hoc scan covers a posted payload. Every
scan is stored (compliance_scans) with masked snippets and salted hashes
only, never a value. Scanning is CPU work: it runs off the event loop.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import func, select

from api.access import load_owned, load_workflow, visible
from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.schemas.common import Page, ResourceId
from api.compliance_store import effective_policies, record_violations
from api.schemas.compliance import PayloadScanAnswer, PayloadScanRequest, ScanDetail, ScanPublic, ViolationPublic
from compliance.policies import evaluate
from compliance.findings import mask_value
from compliance.runtime import scanner
from compliance.scans import RecordedExecution, scan_payload, scan_workflow
from core.db.base import new_id
from core.db.models import ComplianceScan, Execution, User, WorkflowVersion

router = APIRouter(prefix="/api/v1/enterprise/compliance", tags=["compliance"])
MAX_EXECUTIONS = 100


def _row(principal_id: str, kind: str, result, *, workflow_id=None, version=None) -> ComplianceScan:
    now = datetime.now(UTC)
    return ComplianceScan(id=new_id(), owner_id=principal_id, kind=kind, workflow_id=workflow_id, version=version,
                          status="completed", findings=[f.model_dump(mode="json") for f in result.findings],
                          flows=[f.model_dump(mode="json") for f in result.flows],
                          summary=result.summary.model_dump(mode="json"), created_at=now, finished_at=now)


@router.post("/scan", status_code=status.HTTP_201_CREATED, response_model=PayloadScanAnswer,
             responses={422: {"description": "no payload"}})
async def scan_ad_hoc(body: PayloadScanRequest, principal: WriteUser, session: SessionDep, state: StateDep,
                      request: Request) -> PayloadScanAnswer:
    """Scans a JSON value or text; stores the scan (findings only) and answers it."""
    found = scanner(state.settings)
    result = await asyncio.to_thread(scan_payload, found.detector, found.salt, body.payload)
    masked = await asyncio.to_thread(mask_value, found.detector, body.payload) if body.mask else None
    row = _row(principal.id, "payload", result)
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("compliance_scans", row.id)
    return PayloadScanAnswer.of(row, masked=masked)


@router.get("/scan/{workflow_id}", response_model=ScanDetail)
async def scan_a_workflow(
    workflow_id: ResourceId, principal: ReadUser, session: SessionDep, state: StateDep,
    executions: Annotated[int, Query(ge=0, le=MAX_EXECUTIONS, description="recent executions to scan")] = 20,
) -> ScanDetail:
    """Scans the workflow's latest version (config literals, data flows to
    external destinations) and its most recent executions' recorded inputs,
    outputs and errors; stores and answers the scan."""
    workflow = await load_workflow(session, principal, workflow_id)
    version = await session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow.id, WorkflowVersion.version == workflow.latest_version))
    stmt = visible(select(Execution).where(Execution.workflow_id == workflow.id), Execution, principal)
    rows = (await session.scalars(stmt.order_by(Execution.created_at.desc()).limit(executions))).all()
    runs = [RecordedExecution(id=r.id, inputs=r.inputs or {}, nodes=r.nodes or {}, error=r.error) for r in rows]
    found = scanner(state.settings)
    result = await asyncio.to_thread(scan_workflow, found.detector, found.salt, version.definition, runs,
                                     default_llm_url=state.settings.llm_base_url)
    row = _row(principal.id, "workflow", result, workflow_id=workflow.id, version=version.version)
    session.add(row)
    await session.flush()
    author = await session.get(User, version.created_by)
    found = [v for pid, spec in (await effective_policies(session, workflow.owner_id)).items()
             for v in evaluate(pid, spec, workflow_id=workflow.id, definition=version.definition, tags=workflow.tags,
                               flows=result.flows, author=author.username if author else None)]
    violations = await record_violations(session, workflow.owner_id, workflow.id, row.id, found)
    await session.commit()
    return ScanDetail.of(row, violations=[ViolationPublic.of(v) for v in violations])


@router.get("/reports", response_model=Page[ScanPublic])
async def list_reports(
    principal: ReadUser, session: SessionDep,
    workflow_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")] = None,
    kind: Literal["workflow", "payload"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    """The caller's scans over time, newest first (summaries; a scan's findings at /scans/{id})."""
    stmt = visible(select(ComplianceScan), ComplianceScan, principal)
    if workflow_id:
        stmt = stmt.where(ComplianceScan.workflow_id == workflow_id)
    if kind:
        stmt = stmt.where(ComplianceScan.kind == kind)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(ComplianceScan.created_at.desc(), ComplianceScan.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [ScanPublic.of(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/scans/{scan_id}", response_model=ScanDetail)
async def get_scan(scan_id: ResourceId, principal: ReadUser, session: SessionDep) -> ScanDetail:
    return ScanDetail.of(await load_owned(session, principal, ComplianceScan, scan_id, "scan"))
