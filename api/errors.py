"""One error shape for every 4xx (and 5xx): {"error": {code, message, details}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from core.temporal import unreachable

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "body_too_large",
          415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
          503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details if details is not None else []
        self.headers = headers


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details if details is not None else []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(err: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for e in err.errors():
        loc = e.get("loc", ())
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        details.append({"code": e.get("type", "invalid"), "path": path, "message": e.get("msg", "")})
    return details


def _logged_path(request: Request) -> str:
    """The route's template when one matched: a path can carry a credential
    (a webhook's token in /hooks/{token}) that no log may hold."""
    return getattr(request.scope.get("route"), "path", None) or request.url.path


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.code, err.message, err.details, err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(err.status_code, "error")
        message = err.detail if isinstance(err.detail, str) else code.replace("_", " ")
        return error_response(err.status_code, code, message, headers=getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        details = _validation_details(err)
        if any(d["code"] == "json_invalid" for d in details):
            return error_response(400, "malformed_json", "the request body is not valid JSON", details)
        return error_response(422, "validation_error", "the request is invalid", details)

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, err: DBAPIError) -> JSONResponse:
        # A value PostgreSQL cannot store (a NUL byte in text or JSON) is the
        # client's mistake; anything else is ours.
        if getattr(err.orig, "sqlstate", "") and str(err.orig.sqlstate).startswith("22"):
            return error_response(400, "invalid_value", "a value cannot be stored (e.g. a NUL character)")
        if err.connection_invalidated:
            # A connection the database dropped (e.g. a restart): the pool has
            # discarded it, so a retry gets a fresh one.
            log.warning("database connection lost on %s %s", request.method, _logged_path(request))
            return error_response(503, "unavailable", "the database connection was lost; retry")
        log.exception("database error on %s %s", request.method, _logged_path(request))
        return error_response(500, "internal_error", "internal server error")

    async def _temporal_unreachable(request: Request, err: Exception) -> JSONResponse:
        # A Temporal call no route handled, with Temporal unreachable (the
        # lazy client has never connected, or the server went away): 503.
        if not unreachable(err):
            raise err  # ours: the 500 below
        log.warning("Temporal unreachable on %s %s: %s", request.method, _logged_path(request), err)
        return error_response(503, "temporal_unavailable", "Temporal is unreachable; retry")

    app.add_exception_handler(RPCError, _temporal_unreachable)
    app.add_exception_handler(RuntimeError, _temporal_unreachable)  # a lazy connect that failed

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, _logged_path(request))
        return error_response(500, "internal_error", "internal server error")
