"""The sliding window behind the per-address limits, and the growing lock policy."""

from __future__ import annotations

import pytest

from api import throttle
from api.lockout import LockPolicy
from api.throttle import SlidingWindow, rate_limited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_the_limit_then_says_how_long_to_wait():
    clock = Clock()
    window = SlidingWindow(3, 60, clock=clock)
    assert [window.hit("a") for _ in range(3)] == [None, None, None]
    assert window.hit("a") == pytest.approx(60)
    assert window.hit("b") is None  # another address has its own count
    clock.now += 20
    assert window.hit("a") == pytest.approx(40)  # refused hits are not counted
    clock.now += 40
    assert [window.hit("a") for _ in range(3)] == [None, None, None]  # all three left the window
    assert window.hit("a") == pytest.approx(60)


def test_window_slides_event_by_event():
    clock = Clock()
    window = SlidingWindow(2, 60, clock=clock)
    window.record("a")
    clock.now += 30
    window.record("a")
    assert window.wait_s("a") == pytest.approx(30)
    clock.now += 30
    assert window.wait_s("a") is None  # the first left; the second still counts
    window.record("a")
    assert window.wait_s("a") == pytest.approx(30)


def test_window_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(throttle, "MAX_KEYS", 100)
    window = SlidingWindow(1, 60, clock=Clock())
    for i in range(1000):
        window.record(f"10.0.{i // 256}.{i % 256}")
    assert len(window._events) == 100
    assert window.wait_s("10.0.3.231") is not None and window.wait_s("10.0.0.0") is None


def test_lock_grows_from_the_threshold_up_to_the_ceiling():
    policy = LockPolicy(after=5, first_s=30, max_s=900)
    assert [policy.lock_s(n) for n in range(5)] == [None] * 5
    assert [policy.lock_s(n) for n in range(5, 11)] == [30, 60, 120, 240, 480, 900]
    assert policy.lock_s(100_000) == 900  # no overflow however long the attack


def test_rate_limited_answer_rounds_up_and_names_the_wait():
    err = rate_limited("too many", 0.2)
    assert (err.status, err.code, err.headers) == (429, "rate_limited", {"Retry-After": "1"})
    assert rate_limited("too many", 59.01).headers == {"Retry-After": "60"}
