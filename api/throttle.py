"""Limits of the endpoints anyone may call without a token (registration and
failed logins per client address, deliveries per webhook): a sliding window in
memory, per API process."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import Request

from api.errors import ApiError

# Addresses remembered at most; the least recently seen are forgotten first, so a
# flood of spoofed or rotating addresses costs bounded memory.
MAX_KEYS = 50_000


class SlidingWindow:
    """At most `limit` events per key within the last `window_s` seconds."""

    def __init__(self, limit: int, window_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def wait_s(self, key: str, limit: int | None = None) -> float | None:
        """Seconds until `key` may act again, or None when it may now
        (`limit`: this key's own limit instead of the window's)."""
        events = self._events.get(key)
        if events is None:
            return None
        horizon = self._clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events[0] - horizon if len(events) >= (limit or self.limit) else None

    def record(self, key: str) -> None:
        events = self._events.setdefault(key, deque())
        events.append(self._clock())
        self._events.move_to_end(key)
        while len(self._events) > MAX_KEYS:
            self._events.popitem(last=False)

    def hit(self, key: str, limit: int | None = None) -> float | None:
        """Counts an event unless the key is over its limit (then: seconds to wait)."""
        wait = self.wait_s(key, limit)
        if wait is None:
            self.record(key)
        return wait


def client_address(request: Request) -> str:
    """The peer address uvicorn reports (behind a proxy: from X-Forwarded-For when
    the proxy is in FORWARDED_ALLOW_IPS, see docs/operations.md)."""
    return request.client.host if request.client else "unknown"


def rate_limited(message: str, wait_s: float) -> ApiError:
    retry_after = max(1, math.ceil(wait_s))
    return ApiError(429, "rate_limited", f"{message}: retry in {retry_after} s",
                    details=[{"retry_after_s": retry_after}], headers={"Retry-After": str(retry_after)})
