"""An embedded PostgreSQL 16 (the `pgserver` wheel) for a fresh machine, used
when AGENTIC_DATABASE_URL is unset. Run `python -m core.db.embedded .data/pg`
to start it and print its URL."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote


def start_embedded_postgres(data_dir: Path) -> str:
    """Starts (or reuses) the server under data_dir; returns an asyncpg URL.
    The server keeps running after this process exits, so the API and the
    worker (separate processes) share it; a later call finds it running."""
    import pgserver  # imported lazily: only needed without a configured server

    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgserver.get_server(data_dir, cleanup_mode=None)
    # pgserver listens on a Unix socket inside data_dir.
    return f"postgresql+asyncpg://postgres@/postgres?host={quote(str(data_dir), safe='/')}"


def stop_embedded_postgres(data_dir: Path) -> None:
    """Stops the server (keeping its data) when this process holds the last handle."""
    import pgserver

    server = pgserver.get_server(Path(data_dir).resolve(), cleanup_mode="stop")
    # get_server hands back this process's cached handle with the mode it was
    # created with (None when this process started it): ask for a stop.
    server.cleanup_mode = "stop"
    server.cleanup()


if __name__ == "__main__":
    print(start_embedded_postgres(Path(sys.argv[1] if len(sys.argv) > 1 else ".data/pg")))
