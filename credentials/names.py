"""Secret names, role shares and host bindings: the patterns and the matching."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Upper case like the environment variables operators already use
# (AGENTIC_SECRET_<NAME>), so one name means the same in both places.
SECRET_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"
SECRET_NAME = re.compile(SECRET_NAME_PATTERN)
# A share names a role as users.roles holds it (the role pattern of api/schemas/auth.py).
SHARE_PATTERN = r"^role:[a-z][a-z0-9_-]{0,31}$"
# A host name or IPv4 address, optionally "*." for any subdomain; stored lower case.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = rf"^(?:\*\.)?{_LABEL}(?:\.{_LABEL})*$"
ENV_PREFIX = "AGENTIC_SECRET_"


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and SECRET_NAME.match(name) is not None


def normalize_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def host_allowed(host: str | None, allowed: Sequence[str]) -> bool:
    """No binding allows every host; a binding allows its exact names and, for
    "*.example.com", the subdomains of example.com (not example.com itself)."""
    if not allowed:
        return True
    if not host:
        return False
    host = normalize_host(host)
    for pattern in allowed:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False
