"""`python -m api`: serve the API with uvicorn on AGENTIC_API_HOST:AGENTIC_API_PORT."""

from __future__ import annotations

import logging
import re

import uvicorn

from api.app import create_app
from api.settings import get_api_settings
from core import logs
from core.keys import KeyProblem

_TOKEN = re.compile(r"(token=|/hooks/)[^&/?\s\"']+")


class RedactTokens(logging.Filter):
    """uvicorn logs each WebSocket handshake with its query string, and the
    live-monitoring socket may carry `?token=<JWT>`; a webhook's URL carries
    its token (`/hooks/<token>`): never write either out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub(r"\1***", record.msg)
        return True


def main() -> None:
    settings = get_api_settings()
    logs.configure(settings, "api")
    try:
        app = create_app(settings)
    except KeyProblem as err:  # a missing or weak key: say which, not a traceback
        raise SystemExit(f"the API cannot start: {err}") from None
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                            log_level="info", access_log=False, log_config=None)  # our handler
    # After Config: it (re)configures uvicorn's loggers.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactTokens())
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
