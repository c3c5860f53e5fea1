"""Policies and violations as the API keeps them: the caller's effective
policies (built-in packs not replaced, plus their enabled own ones), and the
violations a workflow scan found, one row per fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from compliance.policies import PolicySpec, Violation, builtin_packs
from core.db.base import new_id
from core.db.models import CompliancePolicy, ComplianceViolation


async def effective_policies(session: AsyncSession, owner_id: str) -> dict[str, PolicySpec]:
    own = (await session.scalars(select(CompliancePolicy).where(
        CompliancePolicy.owner_id == owner_id, CompliancePolicy.enabled.is_(True)))).all()
    replaced = {p.replaces for p in own if p.replaces}
    policies = {pid: spec for pid, spec in builtin_packs().items() if pid not in replaced}
    for p in own:
        policies[p.id] = PolicySpec.model_validate({"name": p.name, "description": p.description, "rules": p.rules})
    return policies


async def record_violations(session: AsyncSession, owner_id: str, workflow_id: str, scan_id: str,
                            found: list[Violation]) -> list[ComplianceViolation]:
    """New problems open; known ones keep their status (an acknowledged one
    stays acknowledged) and are marked seen by this scan."""
    now = datetime.now(UTC)
    for v in found:
        stmt = insert(ComplianceViolation).values(
            id=new_id(), owner_id=owner_id, workflow_id=workflow_id, scan_id=scan_id, policy_id=v.policy_id,
            policy_name=v.policy_name, rule=v.rule, severity=v.severity, node=v.node, evidence=v.evidence,
            remediation=v.remediation, status="open", fingerprint=v.fingerprint, history=[],
            created_at=now, updated_at=now, last_seen_at=now)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["owner_id", "fingerprint"],
            # Found again after it was resolved: it is back.
            set_={"scan_id": scan_id, "last_seen_at": now, "severity": v.severity, "remediation": v.remediation,
                  "status": case((ComplianceViolation.status == "resolved", "open"),
                                 else_=ComplianceViolation.status)}))
    if not found:
        return []
    return list((await session.scalars(select(ComplianceViolation).where(
        ComplianceViolation.owner_id == owner_id,
        ComplianceViolation.fingerprint.in_([v.fingerprint for v in found]))
        .order_by(ComplianceViolation.created_at, ComplianceViolation.id))).all())
