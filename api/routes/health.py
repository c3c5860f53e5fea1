"""/health/live (the process answers) and /health/ready (its dependencies do)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import StateDep
from api.errors import ApiError
from api.schemas.common import Health

router = APIRouter(prefix="/health", tags=["health"])
CHECK_TIMEOUT_S = 3.0


@router.get("/live", response_model=Health)
async def live() -> Health:
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"description": "a dependency is down"}})
async def ready(state: StateDep) -> Health:
    checks = {"postgresql": await _check(_postgres(state)), "temporal": await _check(_temporal(state))}
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        raise ApiError(503, "not_ready", f"unavailable: {', '.join(failed)}",
                       [{"dependency": name, "error": checks[name]} for name in failed])
    return Health(status="ok", checks=checks)


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - any failure is "not ready"
        return f"{type(err).__name__}: {err}"[:300] or "failed"
    return "ok"


async def _postgres(state) -> None:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _temporal(state) -> None:
    client = state.temporal
    if not await client.service_client.check_health():
        raise RuntimeError("health check answered not serving")
