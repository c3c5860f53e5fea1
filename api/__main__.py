"""`python -m api`: serve the API with uvicorn on AGENTIC_API_HOST:AGENTIC_API_PORT."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from api.settings import get_api_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_api_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="info", access_log=False)


if __name__ == "__main__":
    main()
