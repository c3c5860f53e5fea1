"""The CLI's stored login: one API URL and its token, in
$AGENTIC_CONFIG_DIR/credentials.json (default ~/.config/agentic), readable by
the user alone (0600, directory 0700)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    username: str | None = None


def config_dir() -> Path:
    configured = os.environ.get("AGENTIC_CONFIG_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "agentic"


def path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Credentials | None:
    try:
        data = json.loads(path().read_text())
        return Credentials(url=data["url"], token=data["token"], username=data.get("username"))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none stored (or unreadable): the user logs in again


def save(credentials: Credentials) -> Path:
    """Written to a private temporary file and renamed over the old one, so the
    token is never readable by others, not even for a moment."""
    directory = config_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".credentials-")  # created 0600
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(credentials), out)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path()
