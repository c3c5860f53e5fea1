"""The API's logs (api/__main__.py): a WebSocket token in a query string is never written out."""

import logging

from api.__main__ import RedactTokens


def test_api_log_filter_redacts_websocket_tokens():
    record = logging.LogRecord("uvicorn.error", logging.INFO, "x", 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/api/v1/ws/executions/abc?token=eyJ.a.b&x=1"), None)
    RedactTokens().filter(record)
    assert "eyJ" not in record.getMessage()
    assert "token=***&x=1" in record.getMessage()
