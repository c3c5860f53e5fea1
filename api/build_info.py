"""What this API process is: its package version, the git revision it was
built from, and the migration head its code expects."""

from __future__ import annotations

import functools
import os
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "agentic-platform"


@functools.cache
def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_revision() -> str | None:
    """AGENTIC_GIT_REVISION (set by an image build: no .git there), else the checkout's HEAD."""
    if revision := os.environ.get("AGENTIC_GIT_REVISION"):
        return revision
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


@functools.cache
def migration_head() -> str | None:
    """The newest revision in migrations/versions: what the database should be at."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()
