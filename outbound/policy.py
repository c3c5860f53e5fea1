"""Which destinations an outbound request may reach. Pure: no sockets, no DNS;
the transport (outbound/transport.py) resolves names and asks here about
every address it got.

Refused by default: loopback, private (RFC 1918, IPv6 unique local),
link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast,
unspecified, broadcast and reserved addresses, anything else that is not a
public address, and the platform's own endpoints (Temporal, its Web UI,
PostgreSQL, the API) whatever the allow-list or the loopback allowance says.
IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are
judged by that IPv4 address.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

LOOPBACK = "a loopback address"
PLATFORM = "one of the platform's own endpoints"

# First match wins; the reason is what the node's error says.
_V4_RANGES = [(IPv4Network(net), reason) for net, reason in [
    ("0.0.0.0/8", "an unspecified address"),
    ("127.0.0.0/8", LOOPBACK),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("169.254.0.0/16", "a link-local address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
]]
_V6_RANGES = [(IPv6Network(net), reason) for net, reason in [
    ("::/128", "an unspecified address"),
    ("::1/128", LOOPBACK),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
]]
_V4_COMPATIBLE = IPv6Network("::/96")
_V4_TRANSLATED = IPv6Network("::ffff:0:0:0/96")
_NAT64 = IPv6Network("64:ff9b::/96")

# What inet_aton accepts (and so what a resolver may turn into an address):
# 1 to 4 parts, each decimal, 0x-hex or 0-octal, the last filling the rest.
_NUMERIC_PART = re.compile(r"^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$")


class DestinationNotAllowed(Exception):
    """An outbound request refused before any byte left; nodes report it as
    `destination_not_allowed`. The message names host, port and reason only."""

    def __init__(self, host: str, port: int | None, reason: str):
        self.host, self.port, self.reason = host, port, reason
        shown = f"[{host}]" if ":" in host else host
        where = f"{shown}:{port}" if port is not None else shown
        super().__init__(f"destination {where} is not allowed: {reason}")


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a numeric host means, in any form a resolver accepts
    (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `[::1]`); None for a name."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if ":" in host:
        try:
            return _without_scope(ip_address(host))
        except ValueError:
            return None
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(part) for part in parts):
        return None
    values = [_number(part) for part in parts]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for index, value in enumerate(leading):
        number += value << (8 * (3 - index))
    return IPv4Address(number)


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:], 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _without_scope(address: IPAddress) -> IPAddress:
    return IPv6Address(int(address)) if isinstance(address, IPv6Address) and address.scope_id else address


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if any: a packet to
    ::ffff:127.0.0.1 (or 64:ff9b::7f00:1 behind NAT64) reaches 127.0.0.1."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _V4_TRANSLATED or address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _V4_COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def effective(address: IPAddress) -> IPAddress:
    """The address a connection really reaches, for every decision below."""
    address = _without_scope(address)
    if isinstance(address, IPv6Address):
        return embedded_ipv4(address) or address
    return address


def address_refusal(address: IPAddress) -> str | None:
    """Why an address is internal (None: a public address)."""
    address = effective(address)
    ranges = _V4_RANGES if isinstance(address, IPv4Address) else _V6_RANGES
    for network, reason in ranges:
        if address in network:
            return reason
    if not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class Endpoint:
    """One of the platform's own listeners, as configured (a name or an address)."""

    host: str
    port: int
    label: str

    @property
    def address(self) -> IPAddress | None:
        return parse_ip_literal(self.host)


def parse_endpoint(text: str, label: str, default_port: int | None = None) -> Endpoint | None:
    """`host:port`, `[v6]:port` or a URL; None when there is no TCP host (a
    Unix socket, an empty setting)."""
    text = text.strip()
    if not text:
        return None
    parts = urlsplit(text if "//" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme, default_port)
    if not parts.hostname or port is None:
        return None
    return Endpoint(parts.hostname.lower(), port, label)


@dataclass(frozen=True)
class Policy:
    """The operator's decisions, frozen at start."""

    allow_names: frozenset[str] = frozenset()
    allow_suffixes: tuple[str, ...] = ()
    allow_networks: tuple[IPNetwork, ...] = ()
    allow_loopback: bool = False
    platform: tuple[Endpoint, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, allow: Iterable[str], *, allow_loopback: bool, platform: Iterable[Endpoint]) -> Policy:
        names, suffixes, networks = set(), [], []
        for entry in allow:
            kind, value = parse_allow_entry(entry)
            if kind == "network":
                networks.append(value)
            elif kind == "suffix":
                suffixes.append(value)
            else:
                names.add(value)
        return cls(frozenset(names), tuple(suffixes), tuple(networks), allow_loopback, tuple(platform))

    def platform_on(self, port: int) -> list[Endpoint]:
        return [endpoint for endpoint in self.platform if endpoint.port == port]

    def refusal(self, host: str, port: int, address: IPAddress,
                platform_addresses: Collection[IPAddress] = ()) -> str | None:
        """Why `host:port`, resolved to `address`, may not be reached (None: it
        may). `platform_addresses` are the addresses of the platform's
        endpoints on this port (names among them resolved by the caller)."""
        address = effective(address)
        name = normalize_name(host)
        for endpoint in self.platform_on(port):
            if endpoint.host == name:
                return f"{PLATFORM} ({endpoint.label})"
        if _is_platform_address(address, {effective(a) for a in platform_addresses}):
            labels = ", ".join(sorted({e.label for e in self.platform_on(port)}))
            return f"{PLATFORM} ({labels})" if labels else PLATFORM
        if self.allows_name(name) or any(address in network for network in self.allow_networks
                                         if network.version == address.version):
            return None
        reason = address_refusal(address)
        if reason == LOOPBACK and self.allow_loopback:
            return None
        return reason

    def static_refusal(self, host: str, port: int) -> str | None:
        """Why `host:port` will be refused, as far as is known without DNS
        (a version being saved): a numeric host, a name that always means an
        internal address (`localhost`), a platform endpoint by its name.
        None: not known to be refused; the transport still decides after DNS."""
        name = normalize_name(host)
        for endpoint in self.platform_on(port):
            if endpoint.host == name:
                return f"{PLATFORM} ({endpoint.label})"
        address = parse_ip_literal(name)
        fixed = address if address is not None else fixed_address(name)
        if fixed is None:
            return None
        platform = [e.address for e in self.platform_on(port) if e.address is not None]
        reason = self.refusal(name, port, fixed, platform)
        if reason is not None and (address is None or str(address) != name.strip("[]")):
            return f"it resolves to {effective(fixed)}, {reason}"  # a name, or a number spelt unusually
        return reason

    def allows_name(self, name: str) -> bool:
        if parse_ip_literal(name) is not None:
            return False  # numbers are judged as addresses, never as names
        return name in self.allow_names or any(name.endswith(suffix) for suffix in self.allow_suffixes)


def _is_platform_address(address: IPAddress, platform: set[IPAddress]) -> bool:
    """A listener on loopback (or on every interface) answers on every
    loopback address of its port: 127.0.0.2 reaches what binds 0.0.0.0."""
    if address in platform:
        return True
    local = address.is_loopback or address.is_unspecified
    return local and any(p.is_loopback or p.is_unspecified for p in platform)


# Names that mean an internal address wherever they are resolved: loopback by
# RFC 6761 (and the usual /etc/hosts aliases), the cloud metadata service.
_FIXED_NAMES = {"localhost": IPv4Address("127.0.0.1"), "localhost.localdomain": IPv4Address("127.0.0.1"),
                "ip6-localhost": IPv6Address("::1"), "ip6-loopback": IPv6Address("::1"),
                "metadata.google.internal": IPv4Address("169.254.169.254")}


def fixed_address(name: str) -> IPAddress | None:
    """The address a well-known internal name always means (None: ask DNS)."""
    name = normalize_name(name)
    if name.endswith(".localhost"):
        return IPv4Address("127.0.0.1")
    return _FIXED_NAMES.get(name)


def normalize_name(host: str) -> str:
    return host.strip().lower().removesuffix(".")


def parse_allow_entry(entry: str) -> tuple[str, object]:
    """`example.com` (that name), `*.example.com` (its subdomains), or an
    address / CIDR (`10.1.2.3`, `10.0.0.0/8`, `fd00::/8`)."""
    text = entry.strip().lower()
    try:
        return "network", ip_network(text, strict=False)
    except ValueError:
        pass
    if text.startswith("*.") and _is_hostname(text[2:]):
        return "suffix", "." + text[2:].removesuffix(".")
    if _is_hostname(text):
        return "name", normalize_name(text)
    raise ValueError(f"AGENTIC_OUTBOUND_ALLOW entry {entry!r} is neither a hostname, '*.domain', an address "
                     "nor a CIDR")


def _is_hostname(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?", text))
