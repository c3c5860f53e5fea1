"""/api/v1/enterprise/compliance/policies and /violations: policies as data
(the built-in packs read-only, custom ones owned) and the violations scans
found, acknowledged or resolved by their owner (each change kept in the
violation's history and, as every mutating call, in the audit log)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import func, select

from api.access import load_owned, visible
from api.deps import DeleteUser, Principal, ReadUser, SessionDep, WriteUser
from api.errors import ApiError, not_found
from api.schemas.common import Page, ResourceId
from api.schemas.compliance import PolicyCreate, PolicyPublic, PolicyUpdate, ViolationChange, ViolationPublic
from compliance.policies import BUILTIN_PREFIX, SEVERITIES, builtin_packs
from core.db.base import new_id
from core.db.models import CompliancePolicy, ComplianceViolation

router = APIRouter(prefix="/api/v1/enterprise/compliance", tags=["compliance"])
PolicyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")]


def _builtin(policy_id: str) -> PolicyPublic:
    spec = builtin_packs()[policy_id]
    return PolicyPublic(id=policy_id, builtin=True, name=spec.name, description=spec.description, rules=spec.rules)


def _public(row: CompliancePolicy) -> PolicyPublic:
    return PolicyPublic(id=row.id, builtin=False, name=row.name, description=row.description, rules=row.rules,
                        replaces=row.replaces, enabled=row.enabled, created_at=row.created_at,
                        updated_at=row.updated_at)


def _check_replaces(replaces: str | None) -> None:
    if replaces is not None and replaces not in builtin_packs():
        raise ApiError(422, "validation_error", "the request is invalid", [{
            "code": "unknown_pack", "path": "$.body.replaces",
            "message": f"`replaces` names a built-in pack: one of {', '.join(builtin_packs())}"}])


async def _own(session, principal: Principal, policy_id: str) -> CompliancePolicy:
    if policy_id.startswith(BUILTIN_PREFIX):
        if policy_id in builtin_packs():
            raise ApiError(403, "builtin_policy", "built-in packs are read-only: create a policy that replaces it")
        raise not_found("policy")
    return await load_owned(session, principal, CompliancePolicy, policy_id, "policy")


@router.get("/policies", response_model=list[PolicyPublic])
async def list_policies(principal: ReadUser, session: SessionDep) -> list[PolicyPublic]:
    """The built-in packs, then the caller's own policies."""
    rows = (await session.scalars(visible(select(CompliancePolicy), CompliancePolicy, principal)
                                  .order_by(CompliancePolicy.created_at, CompliancePolicy.id))).all()
    return [_builtin(pid) for pid in builtin_packs()] + [_public(r) for r in rows]


@router.get("/policies/{policy_id}", response_model=PolicyPublic)
async def get_policy(policy_id: PolicyId, principal: ReadUser, session: SessionDep) -> PolicyPublic:
    if policy_id in builtin_packs():
        return _builtin(policy_id)
    if policy_id.startswith(BUILTIN_PREFIX):
        raise not_found("policy")
    return _public(await load_owned(session, principal, CompliancePolicy, policy_id, "policy"))


@router.post("/policies", status_code=status.HTTP_201_CREATED, response_model=PolicyPublic)
async def create_policy(body: PolicyCreate, principal: WriteUser, session: SessionDep,
                        request: Request) -> PolicyPublic:
    _check_replaces(body.replaces)
    now = datetime.now(UTC)
    row = CompliancePolicy(id=new_id(), owner_id=principal.id, name=body.name, description=body.description,
                           rules=[r.model_dump(mode="json") for r in body.rules], replaces=body.replaces,
                           enabled=body.enabled, created_at=now, updated_at=now)
    session.add(row)
    await session.commit()
    request.scope["agentic.resource"] = ("compliance_policies", row.id)
    return _public(row)


@router.patch("/policies/{policy_id}", response_model=PolicyPublic,
              responses={403: {"description": "a built-in pack"}})
async def update_policy(policy_id: PolicyId, body: PolicyUpdate, principal: WriteUser,
                        session: SessionDep) -> PolicyPublic:
    row = await _own(session, principal, policy_id)
    changes = body.model_dump(exclude_unset=True)
    if "replaces" in changes:
        _check_replaces(body.replaces)
        row.replaces = body.replaces
    if body.rules is not None:
        row.rules = [r.model_dump(mode="json") for r in body.rules]
    for field in ("name", "description", "enabled"):
        if changes.get(field) is not None:
            setattr(row, field, changes[field])
    row.updated_at = datetime.now(UTC)
    await session.commit()
    return _public(row)


@router.delete("/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={403: {"description": "a built-in pack"}})
async def delete_policy(policy_id: PolicyId, principal: DeleteUser, session: SessionDep) -> Response:
    """Its violations stay, for the record."""
    await session.delete(await _own(session, principal, policy_id))
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/violations", response_model=Page[ViolationPublic])
async def list_violations(
    principal: ReadUser, session: SessionDep,
    severity: Literal[SEVERITIES] | None = None,  # type: ignore[valid-type]
    policy_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")] = None,
    workflow_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")] = None,
    status_: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    stmt = visible(select(ComplianceViolation), ComplianceViolation, principal)
    for column, value in ((ComplianceViolation.severity, severity), (ComplianceViolation.policy_id, policy_id),
                          (ComplianceViolation.workflow_id, workflow_id), (ComplianceViolation.status, status_)):
        if value is not None:
            stmt = stmt.where(column == value)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (await session.scalars(stmt.order_by(ComplianceViolation.created_at.desc(), ComplianceViolation.id)
                                  .limit(limit).offset(offset))).all()
    return {"items": [ViolationPublic.of(r) for r in rows], "total": total, "limit": limit, "offset": offset}


async def _change(session, principal: Principal, violation_id: str, to: str, comment: str) -> ViolationPublic:
    row = await load_owned(session, principal, ComplianceViolation, violation_id, "violation")
    if row.status == "resolved" and to != "resolved":
        raise ApiError(409, "violation_resolved", "a resolved violation stays resolved")
    now = datetime.now(UTC)
    row.history = [*row.history, {"from": row.status, "to": to, "by": principal.user.username,
                                  "by_id": principal.id, "at": now.isoformat(), "comment": comment}]
    row.status, row.updated_at = to, now
    await session.commit()
    return ViolationPublic.of(row)


@router.post("/violations/{violation_id}/acknowledge", response_model=ViolationPublic,
             responses={409: {"description": "already resolved"}})
async def acknowledge_violation(violation_id: ResourceId, principal: WriteUser, session: SessionDep,
                                body: ViolationChange | None = None) -> ViolationPublic:
    return await _change(session, principal, violation_id, "acknowledged", body.comment if body else "")


@router.post("/violations/{violation_id}/resolve", response_model=ViolationPublic)
async def resolve_violation(violation_id: ResourceId, principal: WriteUser, session: SessionDep,
                            body: ViolationChange | None = None) -> ViolationPublic:
    return await _change(session, principal, violation_id, "resolved", body.comment if body else "")
