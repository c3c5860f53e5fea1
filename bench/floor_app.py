"""The floor for the API's read path: the smallest FastAPI + asyncpg app that
serves the same answer as `GET /api/v1/workflows` (the caller's workflows,
newest first, 50 a page, with the total) behind the same JWT verification
(api/security.py TokenCodec, the same keys) and the same account check
(not disabled, token_version current) - in one SQL round trip, no ORM, no
middleware, no response model.

    python bench/floor_app.py PORT    (with the API's environment: AGENTIC_DATABASE_URL, AGENTIC_JWT_SECRET)

bench/api.py starts it and prints read_ratio = API throughput / floor throughput.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import Response  # noqa: E402

from api.app import token_codec  # noqa: E402
from api.security import InvalidToken  # noqa: E402
from api.settings import get_api_settings  # noqa: E402

LIST = """
SELECT w.id, w.owner_id, w.name, w.description, w.tags, w.latest_version, w.created_at, w.updated_at,
       count(*) OVER () AS total
FROM users u JOIN workflows w ON w.owner_id = u.id
WHERE u.id = $1 AND NOT u.disabled AND u.token_version = $2 AND w.deleted_at IS NULL
ORDER BY w.created_at DESC, w.id LIMIT 50
"""
UNAUTHORIZED = Response(b'{"error":{"code":"unauthorized","message":"bad token","details":[]}}', 401,
                        media_type="application/json")


def make_app() -> FastAPI:
    settings = get_api_settings()
    tokens = token_codec(settings)
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    app = FastAPI()

    @app.on_event("startup")
    async def pool() -> None:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=30)  # the API: pool 10 + overflow 20

    @app.get("/api/v1/workflows")
    async def list_workflows(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            claims = tokens.verify(token)
        except InvalidToken:
            return UNAUTHORIZED
        rows = await app.state.pool.fetch(LIST, claims.user_id, claims.version)
        items = [{"id": r["id"], "owner_id": r["owner_id"], "name": r["name"], "description": r["description"],
                  "tags": r["tags"], "latest_version": r["latest_version"],
                  "created_at": r["created_at"].isoformat(), "updated_at": r["updated_at"].isoformat()}
                 for r in rows]
        body = {"items": items, "total": rows[0]["total"] if rows else 0, "limit": 50, "offset": 0}
        return Response(json.dumps(body), media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(make_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
