"""GET /metrics: the API process's Prometheus metrics (api/metrics.py), for
the operator's scraper; behind a bearer token when AGENTIC_METRICS_TOKEN is set."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import metrics
from api.deps import StateDep
from api.errors import ApiError

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}})
async def scrape(request: Request, state: StateDep) -> Response:
    expected = state.settings.metrics_token
    if expected:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            raise ApiError(401, "unauthorized", "the metrics endpoint needs its bearer token",
                           headers={"WWW-Authenticate": "Bearer"})
    await state.platform_counts.refresh(state.sessions)
    metrics.observe_pool(state.engine)
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
