"""/health/live (the process answers), /health/ready (PostgreSQL and Temporal
do), /health/dependencies (every dependency, timed) and /health/version."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from sqlalchemy import text

from api import build_info, dependencies
from api.deps import StateDep
from api.errors import ApiError
from api.schemas.common import Health
from api.schemas.health import DependencyPublic, DependenciesPublic, PlatformVersion

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", response_model=Health)
async def live() -> Health:
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"description": "a dependency is down"}})
async def ready(state: StateDep) -> Health:
    probes = await asyncio.gather(dependencies.timed(lambda: dependencies.postgres(state)),
                                  dependencies.timed(lambda: dependencies.temporal(state)))
    checks = {name: probe.error or "ok" for name, probe in zip(("postgresql", "temporal"), probes, strict=True)}
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        raise ApiError(503, "not_ready", f"unavailable: {', '.join(failed)}",
                       [{"dependency": name, "error": checks[name]} for name in failed])
    return Health(status="ok", checks=checks)


@router.get("/dependencies", response_model=DependenciesPublic)
async def dependencies_status(state: StateDep) -> DependenciesPublic:
    """Every dependency with its latency; "degraded" when one configured is down
    (answered 200: this is a report, /health/ready is the probe)."""
    probes = await dependencies.all_probes(state)
    down = any(p.status == "down" for p in probes.values())
    return DependenciesPublic(status="degraded" if down else "ok",
                              dependencies={n: DependencyPublic(**vars(p)) for n, p in probes.items()})


@router.get("/version", response_model=PlatformVersion)
async def version(state: StateDep) -> PlatformVersion:
    return PlatformVersion(version=build_info.version(), git_revision=build_info.git_revision(),
                         migration_head=build_info.migration_head(),
                         database_revision=await _database_revision(state),
                         temporal_server_version=await _temporal_version(state))


async def _database_revision(state) -> str | None:
    try:
        async with state.engine.connect() as conn:
            return await asyncio.wait_for(
                conn.scalar(text("SELECT version_num FROM alembic_version")), dependencies.CHECK_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - unknown while the database is down
        return None


async def _temporal_version(state) -> str | None:
    try:
        return await asyncio.wait_for(dependencies.temporal_version(state), dependencies.CHECK_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - unknown while Temporal is down
        return None
