"""Guarded HTTP clients, built from Settings.

A client per use (one node call, one webhook): no connection, cookie or
credential survives into another user's call. The TLS context, the costly
part, is built once and shared.
"""

from __future__ import annotations

import ssl
from dataclasses import replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.settings import Settings
from outbound.policy import Endpoint, IPAddress, Policy, parse_endpoint
from outbound.transport import Guard, GuardedTransport, Resolver, guarded_httpx2_transport_class


PLATFORM_DATABASE = "PostgreSQL"


class _KeepNoCookies(DefaultCookiePolicy):
    """A Set-Cookie is never stored, so never sent on (not to the next node
    call, not to the next redirect hop): a cookie a node needs goes in its
    `Cookie` header."""

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False


def no_cookies() -> CookieJar:
    return CookieJar(policy=_KeepNoCookies())


def platform_endpoints(settings: Settings) -> list[Endpoint]:
    """The platform's own listeners, refused as destinations whatever else is allowed."""
    found = [
        parse_endpoint(settings.temporal_address, "Temporal frontend", 7233),
        parse_endpoint(settings.temporal_ui_url, "Temporal Web UI"),
        parse_endpoint(settings.database_url or "", PLATFORM_DATABASE, 5432),
        parse_endpoint(settings.public_api_url, "the API"),
        parse_endpoint(settings.worker_metrics_address or "", "the worker's metrics", 9464),
    ]
    api_port = getattr(settings, "api_port", None)  # known in the API process (ApiSettings)
    if api_port:
        found.append(Endpoint(getattr(settings, "api_host", "127.0.0.1"), api_port, "the API"))
    for entry in settings.outbound_deny:
        endpoint = parse_endpoint(entry, "refused by AGENTIC_OUTBOUND_DENY")
        if endpoint is None:
            raise ValueError(f"AGENTIC_OUTBOUND_DENY entry {entry!r} is not host:port")
        found.append(endpoint)
    return [endpoint for endpoint in found if endpoint is not None]


def policy_from_settings(settings: Settings) -> Policy:
    if settings.outbound_allow_loopback and settings.is_production:
        raise ValueError("AGENTIC_OUTBOUND_ALLOW_LOOPBACK is for development only; production refuses it")
    return Policy.build(settings.outbound_allow, allow_loopback=settings.outbound_allow_loopback,
                        platform=platform_endpoints(settings))


class Outbound:
    """What activities get instead of an HTTP client: guarded clients on demand."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None,
                 ssl_context: ssl.SSLContext | None = None):
        policy = policy_from_settings(settings)
        self.guard = Guard(policy, resolver)
        # The same policy with the platform's PostgreSQL server open, for the
        # databases of it the operator lets sql nodes use (sql_platform_databases).
        self._database_guard = Guard(replace(policy, platform=tuple(
            e for e in policy.platform if e.label != PLATFORM_DATABASE)), resolver)
        # SSL_CERT_FILE / SSL_CERT_DIR are honoured: an operator's own CA bundle.
        self._ssl = ssl_context or httpx.create_ssl_context()

    def check_url(self, url: str) -> None:
        """A DNS-free early check of a URL's numeric host, for the forms the URL
        parser refuses before the transport could (`http://0177.0.0.1/`)."""
        parts = urlsplit(url)
        try:
            port = parts.port or _default_port(parts.scheme)
        except ValueError:
            return  # a bad port: the request cannot be built, and says so
        if parts.hostname:
            self.guard.check_literal(parts.hostname, port)

    async def tcp_addresses(self, host: str, port: int, *, platform_database_server: bool = False
                            ) -> list[IPAddress]:
        """A destination reached without HTTP (a sql node's database): resolved
        once and judged like every request; the caller connects to one of these
        addresses, never to the name. DestinationNotAllowed when refused."""
        guard = self._database_guard if platform_database_server else self.guard
        return await guard.addresses(host, port)

    def http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx client for one use; the caller closes it (`async with`)."""
        inner = httpx.AsyncHTTPTransport(verify=self._ssl, trust_env=False)
        # trust_env=False: proxy variables would route around the guard, and
        # ~/.netrc would add credentials to a user's destination.
        return httpx.AsyncClient(transport=GuardedTransport(self.guard, inner), trust_env=False,
                                 cookies=no_cookies(), **kwargs)

    def httpx2_client(self, **kwargs: Any) -> Any:
        """The same for the `openai` SDK, whose `http_client=` takes an httpx2 client."""
        import httpx2

        inner = httpx2.AsyncHTTPTransport(verify=self._ssl, trust_env=False)
        transport = guarded_httpx2_transport_class()(self.guard, inner)
        return httpx2.AsyncClient(transport=transport, trust_env=False, cookies=no_cookies(), **kwargs)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
