"""The API's logs (api/__main__.py): a WebSocket token in a query string and a webhook token in a path are never written out."""

import logging

from api.__main__ import RedactTokens


def test_api_log_filter_redacts_websocket_tokens():
    record = logging.LogRecord("uvicorn.error", logging.INFO, "x", 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/api/v1/ws/executions/abc?token=eyJ.a.b&x=1"), None)
    RedactTokens().filter(record)
    assert "eyJ" not in record.getMessage()
    assert "token=***&x=1" in record.getMessage()


def test_api_log_filter_redacts_webhook_tokens():
    token = "wh_" + "A" * 43
    record = logging.LogRecord("uvicorn.access", logging.INFO, "x", 1, '%s - "%s %s HTTP/1.1" %d',
                               ("127.0.0.1:5", "POST", f"/hooks/{token}?wait=5", 202), None)
    RedactTokens().filter(record)
    assert token not in record.getMessage()
    assert "/hooks/***?wait=5" in record.getMessage()
