"""recorder.evicted: a watcher the SDK cancelled counts as evicted at once,
before the cancellation has run (the interpreter's last observation comes
first); a live watcher does not. The SDK side (eviction cancels every task,
a cancel request only the main one) is covered by
tests/integration/api/test_debug.py over a running execution."""

from __future__ import annotations

import asyncio

from api.debugger.recorder import evicted


async def test_a_watcher_cancelled_by_someone_else_is_an_eviction_before_it_unwinds():
    watcher = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    assert not evicted(watcher)
    watcher.cancel()
    assert evicted(watcher) and not watcher.cancelled()  # requested, not yet run
    try:
        await watcher
    except asyncio.CancelledError:
        pass
