"""core/logs.py: JSON lines in production, text in development, each record
with the context it was logged under."""

from __future__ import annotations

import asyncio
import json
import logging

from core import logs
from core.settings import Settings


def emitted(settings: Settings, record: logging.LogRecord) -> str:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        logs.configure(settings, "worker")
        handler = root.handlers[0]
        handler.filter(record)
        return handler.format(record)
    finally:
        root.handlers[:], root.level = saved, level


def record(msg: str = "hello %s", args=("there",), **extra) -> logging.LogRecord:
    rec = logging.LogRecord("activities.base", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_production_writes_json_lines_with_the_bound_context():
    async def in_task() -> str:
        logs.bind(request_id="r1", user_id="u1", execution_id="e1", node_id="n1")
        return emitted(Settings(environment="production"), record("line\nbreak %s"))

    line = asyncio.run(in_task())
    assert "\n" not in line
    body = json.loads(line)
    assert body["message"] == "line\nbreak there" and body["level"] == "INFO" and body["process"] == "worker"
    assert (body["request_id"], body["user_id"], body["execution_id"], body["node_id"]) == ("r1", "u1", "e1", "n1")
    assert body["ts"].endswith("Z")


def test_development_writes_text_and_the_format_can_be_forced():
    text = emitted(Settings(environment="development"), record())
    assert text.endswith("hello there") and not text.startswith("{")
    assert json.loads(emitted(Settings(environment="development", log_format="json"), record()))["message"]


def test_sdk_records_name_their_execution():
    sdk = record(temporal_activity={"workflow_id": "exec-abc", "activity_type": "node.transform"})
    assert json.loads(emitted(Settings(environment="production"), sdk))["execution_id"] == "abc"


def test_no_context_no_fields():
    async def fresh() -> dict:
        return json.loads(emitted(Settings(environment="production"), record()))

    body = asyncio.run(fresh())
    assert not {"request_id", "user_id", "execution_id", "node_id"} & set(body)
