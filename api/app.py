"""The app factory: settings, storage, Temporal client, admin bootstrap and the
reconciler live in the lifespan; routes, errors and middleware are wired here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from sqlalchemy import func, select
from temporalio.client import Client

from api import reconciler
from api.errors import install_error_handlers
from api.metrics import MetricsMiddleware, PlatformCounts
from api.middleware import AuditMiddleware, BodyLimitMiddleware
from api.request_id import RequestIdMiddleware
from api.query_params import known_query_parameters
from api.routes import api_keys, auth, executions, health, workflows
from api.routes import approvals, schedules
from api.routes import debug, reruns, reset, ws
from api.routes import secrets
from api.routes import hooks, webhooks
from api.routes import compliance, compliance_policies
from api.routes import metrics, monitoring, users
from api.routes import codec
from api.codec_cors import CodecCorsMiddleware, origin_of
from api.routes import templates as template_routes
from api.schemas.common import ERROR_RESPONSES
from api.security import TokenCodec, hash_password, verify_password
from api.settings import ApiSettings, get_api_settings
from api.state import AppState, AuthThrottle
from core.db.models import User
from core.db.session import make_engine, make_sessionmaker
from compliance.runtime import scanner
from core.temporal import connect
from credentials.keys import keyring
from outbound.client import policy_from_settings
from templates.loader import load_builtins
from workflows import signatures

log = logging.getLogger(__name__)


def create_app(settings: ApiSettings | None = None, *, temporal_client: Client | None = None,
               reconcile: bool = True) -> FastAPI:
    settings = settings or get_api_settings()
    if not settings.database_url:
        raise RuntimeError("AGENTIC_DATABASE_URL is not set (make run starts an embedded PostgreSQL)")
    # Every key is checked before serving: a missing (production) or weak one stops the start.
    tokens = token_codec(settings)
    keyring(settings)  # the master key of the secrets store
    signatures.configure_from(settings)  # what the API hands Temporal is signed
    settings.payload_keyring()  # the payload codec's keys (core/payload_keys.py)
    policy_from_settings(settings)  # the egress policy saved URLs are judged by: a bad OUTBOUND_* stops the start
    scanner(settings)  # the compliance analyzer, built once: a configured spaCy model missing stops the start

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        state = AppState(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                         temporal=temporal_client or await connect(settings, lazy=True),
                         tokens=tokens, throttle=AuthThrottle.from_settings(settings),
                         platform_counts=PlatformCounts(settings.metrics_counts_max_age_s))
        app.state.agentic = state
        await bootstrap_admin(state)
        await load_builtin_templates(state)
        if reconcile:
            state.background.append(asyncio.create_task(
                reconciler.reconcile_forever(state.sessions, state.temporal, settings), name="reconciler"))
        try:
            yield
        finally:
            for task in state.background:
                task.cancel()
            await asyncio.gather(*state.background, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(title="Agentic workflow platform", version="1.0.0", lifespan=lifespan,
                  description="Workflows as graphs of nodes, run durably on Temporal.",
                  dependencies=[Depends(known_query_parameters)])  # unknown query parameters: 422
    install_error_handlers(app)
    # Last added runs first: the audit log also sees requests rejected for size.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(CodecCorsMiddleware, ui_origin=origin_of(settings.temporal_ui_url))
    app.add_middleware(MetricsMiddleware)  # times everything, 413s included
    app.add_middleware(RequestIdMiddleware)  # outermost: every log line of a request has its id
    for module in (health, auth, api_keys, workflows, executions):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(approvals.router, responses=ERROR_RESPONSES)
    app.include_router(schedules.router, responses=ERROR_RESPONSES)
    app.include_router(debug.router, responses=ERROR_RESPONSES)
    app.include_router(reruns.router, responses=ERROR_RESPONSES)
    app.include_router(reset.router, responses=ERROR_RESPONSES)
    app.include_router(secrets.router, responses=ERROR_RESPONSES)
    app.include_router(webhooks.router, responses=ERROR_RESPONSES)
    app.include_router(hooks.router, responses=ERROR_RESPONSES)
    app.include_router(compliance.router, responses=ERROR_RESPONSES)
    app.include_router(compliance_policies.router, responses=ERROR_RESPONSES)
    app.include_router(metrics.router, responses=ERROR_RESPONSES)
    app.include_router(monitoring.router, responses=ERROR_RESPONSES)
    app.include_router(users.router, responses=ERROR_RESPONSES)
    app.include_router(codec.router, responses=ERROR_RESPONSES)
    app.include_router(template_routes.router, responses=ERROR_RESPONSES)
    app.include_router(ws.router)
    return app


def token_codec(settings: ApiSettings) -> TokenCodec:
    current, previous = settings.jwt_keys()
    if not settings.jwt_secret:
        log.warning("AGENTIC_JWT_SECRET is not set: tokens are signed with this installation's "
                    "generated key under %s/keys (production must set it)", settings.data_dir)
    return TokenCodec(current, settings.jwt_expiry_minutes, previous=previous,
                      max_lifetime_s=settings.jwt_max_lifetime_minutes_effective * 60)


async def load_builtin_templates(state: AppState) -> None:
    """templates/builtin/ into the templates table: idempotent, so every start
    may do it; a file refused is logged and the API still starts."""
    async with state.sessions() as session:
        report = await load_builtins(session)
    if report.created or report.updated:
        log.info("built-in templates: created %s, updated %s", report.created, report.updated)


async def bootstrap_admin(state: AppState) -> None:
    """The admin account from settings; its password follows the settings."""
    settings = state.settings
    if not settings.admin_password:
        log.warning("AGENTIC_ADMIN_PASSWORD is not set: no admin account is bootstrapped")
        return
    async with state.sessions() as session:
        name = settings.admin_username.lower()  # usernames are stored in lower case
        user = await session.scalar(select(User).where(func.lower(User.username) == name))
        if user is None:
            session.add(User(username=name, is_admin=True,
                             password_hash=hash_password(settings.admin_password)))
        else:
            user.is_admin = True
            if not verify_password(settings.admin_password, user.password_hash):
                # A new admin password in the settings also ends the sessions of the old one.
                user.password_hash = hash_password(settings.admin_password)
                user.token_version += 1
        try:
            await session.commit()
        except Exception:  # noqa: BLE001 - another API process bootstrapped it at the same instant
            await session.rollback()
