"""The connection of one sql node call: its DSN read here (never handed to
asyncpg, which would fill what it lacks from the worker's PG* variables and
~/.pgpass), its host put to the egress policy after DNS (outbound/), and the
connection made to the address that was checked, TLS verifying the real name.

Messages never quote the DSN: it is a secret.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, unquote, urlsplit

import asyncpg

from activities.base import NodeError
from outbound import DestinationNotAllowed
from outbound.transport import ResolutionFailed

SSL_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    user: str
    database: str
    sslmode: str
    password: str = field(default="", repr=False)


def parse_dsn(dsn: str, password: str | None) -> Target:
    """`postgresql://user[:password]@host[:port]/database[?sslmode=...]`, one TCP host."""
    parts = urlsplit(dsn.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        raise NodeError("invalid_dsn", "the DSN must start with postgresql://")
    try:
        port = parts.port or 5432
    except ValueError:
        raise NodeError("invalid_dsn", "the DSN's port is not a number from 1 to 65535") from None
    host = parts.hostname
    if not host or "," in parts.netloc or host.startswith("/") or "%2f" in host.lower():
        raise NodeError("invalid_dsn", "the DSN must name one TCP host (no list, no Unix socket)")
    if not parts.username or not parts.path.strip("/"):
        raise NodeError("invalid_dsn", "the DSN must name a user and a database: postgresql://user@host/db")
    options = dict(parse_qsl(parts.query))
    if set(options) - {"sslmode"}:
        raise NodeError("invalid_dsn", "the only DSN option supported is sslmode")
    sslmode = options.get("sslmode", "prefer")
    if sslmode not in SSL_MODES:
        raise NodeError("invalid_dsn", f"sslmode must be one of {', '.join(SSL_MODES)}")
    return Target(host=host, port=port, user=unquote(parts.username), database=unquote(parts.path.strip("/")),
                  sslmode=sslmode, password=password if password is not None else unquote(parts.password or ""))


async def connect(target: Target, deps, *, timeout_s: float, server_settings: dict[str, str]) -> asyncpg.Connection:
    try:
        addresses = await deps.outbound.tcp_addresses(
            target.host, target.port, platform_database_server=platform_database_open(target.database, deps.settings))
    except DestinationNotAllowed as err:
        raise NodeError("destination_not_allowed", str(err)) from None
    except ResolutionFailed as err:
        raise NodeError("sql_connection_error", str(err), retryable=True) from None
    failure: Exception | None = None
    for address in addresses:
        try:
            return await asyncpg.connect(
                host=str(address), port=target.port, user=target.user, password=target.password,
                database=target.database, ssl=_tls(target), direct_tls=False, timeout=timeout_s,
                server_settings=server_settings, target_session_attrs="any", statement_cache_size=0)
        except (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError,
                asyncpg.TooManyConnectionsError) as err:
            failure = err
    raise NodeError("sql_connection_error",
                    f"cannot connect to {target.host}:{target.port}: {type(failure).__name__}", retryable=True)


def platform_database_open(database: str, settings) -> bool:
    """Whether the operator lets sql nodes into this database of the platform's
    own PostgreSQL server (never the platform's database itself)."""
    own = urlsplit(settings.database_url or "").path.strip("/")
    return database != own and any(fnmatchcase(database, pattern) for pattern in settings.sql_platform_databases)


def _tls(target: Target) -> ssl.SSLContext | str | bool:
    if target.sslmode == "disable":
        return False
    if target.sslmode == "prefer":
        return "prefer"  # TLS when the server offers it, unverified (libpq's default)
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.server_name = target.host
    context.check_hostname = target.sslmode == "verify-full"
    if target.sslmode == "require":
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_default_certs()  # SSL_CERT_FILE / SSL_CERT_DIR: an operator's own CA
    return context


class _NamedContext(ssl.SSLContext):
    """The connection goes to the checked address, so asyncpg would verify the
    certificate against that address: this verifies (and sends SNI for) the
    DSN's host name instead."""

    server_name: str

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return super().wrap_bio(incoming, outgoing, server_side, self.server_name, session)
