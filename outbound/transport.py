"""The transport every guarded client sends through: it resolves the host
once, has the policy judge every address it got, and connects to a checked
address only (the URL's host becomes that address; the Host header and the
TLS server name stay the real name), so a name that resolves differently a
moment later (DNS rebinding) cannot swap the destination. Each redirect hop
is a new request, so it passes here again.

One implementation for both HTTP stacks: `httpx` (our nodes) and `httpx2`
(what the `openai` SDK is built on); they share the request/transport API.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any

import httpx

from outbound.policy import DestinationNotAllowed, IPAddress, Policy, effective, parse_ip_literal

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
DEFAULT_PORTS = {"http": 80, "https": 443}
PLATFORM_NAMES_TTL_S = 60.0


class ResolutionFailed(Exception):
    """The name does not resolve; the transport reports it as its library's ConnectError."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise ResolutionFailed(f"cannot resolve {host!r}: {getattr(err, 'strerror', None) or err}") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class Guard:
    """Resolves and judges; the one place a destination is decided."""

    def __init__(self, policy: Policy, resolver: Resolver | None = None):
        self.policy = policy
        self.resolve = resolver or system_resolver
        self._platform_names: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    def check_literal(self, host: str, port: int) -> None:
        """Early, DNS-free refusal of a numeric host (some numeric forms, like
        `0177.0.0.1`, are refused by the URL parser before the transport runs)."""
        address = parse_ip_literal(host)
        if address is not None:
            platform = [e.address for e in self.policy.platform_on(port) if e.address is not None]
            self._judge(host, port, address, platform)

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address `host` resolves to, each allowed; else DestinationNotAllowed."""
        literal = parse_ip_literal(host)
        addresses = [literal] if literal is not None else await self.resolve(host, port)
        if not addresses:
            raise ResolutionFailed(f"{host!r} resolves to no address")
        platform = await self._platform_addresses(port)
        for address in addresses:
            self._judge(host, port, address, platform)
        return addresses

    def _judge(self, host: str, port: int, address: IPAddress, platform: list[IPAddress]) -> None:
        reason = self.policy.refusal(host, port, address, platform)
        if reason is None:
            return
        literal = parse_ip_literal(host)
        if literal is None or str(literal) != host:  # a name, or a number spelt unusually
            reason = f"it resolves to {effective(address)}, {reason}"
        raise DestinationNotAllowed(host, port, reason)

    async def _platform_addresses(self, port: int) -> list[IPAddress]:
        """The platform's endpoints on this port, names resolved now (a
        Temporal at `temporal:7233` is refused by its address too)."""
        found: list[IPAddress] = []
        for endpoint in self.policy.platform_on(port):
            if endpoint.address is not None:
                found.append(endpoint.address)
            else:
                found += await self._resolve_platform_name(endpoint.host, port)
        return found

    async def _resolve_platform_name(self, host: str, port: int) -> list[IPAddress]:
        # Cached briefly: a public API URL on port 443 would otherwise cost a
        # lookup for every https request.
        cached = self._platform_names.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            addresses = await self.resolve(host, port)
        except ResolutionFailed:
            addresses = []  # not resolvable from here: not reachable from here either
        self._platform_names[(host, port)] = (time.monotonic() + PLATFORM_NAMES_TTL_S, addresses)
        return addresses


class _Guarded:
    """Shared body of the two transports below."""

    connect_error: type[Exception]
    connect_timeout: type[Exception]

    def __init__(self, guard: Guard, inner: Any):
        self.guard = guard
        self._inner = inner

    async def handle_async_request(self, request: Any) -> Any:
        url = request.url
        if url.scheme not in DEFAULT_PORTS:
            raise DestinationNotAllowed(url.host, url.port, f"only http and https are allowed, not {url.scheme!r}")
        host = url.raw_host.decode("ascii")
        port = url.port or DEFAULT_PORTS[url.scheme]
        # The lookup counts against the connect timeout, as it would inside httpx.
        timeout = (request.extensions.get("timeout") or {}).get("connect")
        try:
            addresses = await asyncio.wait_for(self.guard.addresses(host, port), timeout)
        except ResolutionFailed as err:
            raise self.connect_error(str(err)) from None
        except TimeoutError:
            raise self.connect_timeout(f"resolving {host!r} took longer than {timeout}s") from None
        failure: Exception | None = None
        for address in addresses:  # what happy eyeballs would try, each one checked
            try:
                return await self._inner.handle_async_request(_pinned(request, address, host))
            except self.connect_error as err:
                failure = err
        raise failure  # type: ignore[misc]

    async def aclose(self) -> None:
        await self._inner.aclose()


def _pinned(request: Any, address: IPAddress, host: str) -> Any:
    """The same request, addressed to `address`; the Host header (already set
    from the URL) stays, and TLS verifies the certificate against `host`."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = host
    return type(request)(request.method, request.url.copy_with(host=str(address)), headers=request.headers,
                         stream=request.stream, extensions=extensions)


class GuardedTransport(_Guarded, httpx.AsyncBaseTransport):
    connect_error, connect_timeout = httpx.ConnectError, httpx.ConnectTimeout


@functools.cache
def guarded_httpx2_transport_class() -> type:
    import httpx2  # the openai SDK's stack: imported only where an llm node runs

    class GuardedTransport2(_Guarded, httpx2.AsyncBaseTransport):
        connect_error, connect_timeout = httpx2.ConnectError, httpx2.ConnectTimeout

    return GuardedTransport2
