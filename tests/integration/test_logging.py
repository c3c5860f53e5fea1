"""Logs of the worker: an expected node failure is one line per attempt from
our wrapper (INFO, with execution and node id), not the SDK's WARNING with a
traceback for every attempt."""

from __future__ import annotations

import logging

from tests.integration.graphs import failed_summary, graph, node
from tests.integration.local_server import server  # noqa: F401 - the fixture
from core.logs import ContextFilter

class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(ContextFilter())
        self.context: list[tuple] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "activities.base":
            self.context.append((record.node_id, record.execution_id))


RETRY = {"max_attempts": 2, "initial_interval_s": 0.1, "backoff": 1.0, "max_interval_s": 0.1}


async def test_an_expected_node_failure_is_logged_once_per_attempt_at_info(client, task_queue, worker,
                                                                           server, caplog):
    url = server.route(f"/{task_queue}", (500, {}, "always broken"))
    definition = graph([node("call", "http_request", {"url": url, "timeout_s": 5}, retry=RETRY)])
    seen = Recorder()
    logging.getLogger().addHandler(seen)
    try:
        with caplog.at_level(logging.DEBUG):
            await failed_summary(client, task_queue, definition)
    finally:
        logging.getLogger().removeHandler(seen)
    sdk_warnings = [r for r in caplog.records if r.name.startswith("temporalio") and r.levelno >= logging.WARNING
                    and "call" in str(getattr(r, "temporal_activity", "")) + r.getMessage()]
    assert sdk_warnings == []
    ours = [r for r in caplog.records if r.name == "activities.base" and "attempt" in r.getMessage()]
    assert [r.levelno for r in ours] == [logging.INFO, logging.INFO]
    assert all(r.exc_info is None for r in ours)
    # The process's handler (core/logs.py) adds the context when the record is emitted.
    assert [(node_id, bool(execution_id)) for node_id, execution_id in seen.context] == [("call", True)] * 2
