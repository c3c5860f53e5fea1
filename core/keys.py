"""Installation keys: the JWT signing key and the API->worker signing key.

There is no default key in any mode. A key comes from the environment; when
none is configured outside production, one random key per installation is
created under the data directory (mode 0600) and shared by every process of
that installation (API, worker, CLI) that reads the same directory. Short or
well-known keys are refused.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

MIN_KEY_LENGTH = 32
# Values seen in tutorials, samples and earlier releases of this project.
KNOWN_WEAK_KEYS = frozenset({
    "dev-only-change-me", "changeme", "change-me", "secret", "your-secret-key", "supersecret",
    "please-change-me", "jwt-secret", "insecure",
})


class KeyProblem(RuntimeError):
    """A configured key that must not be used, or no key where one is required."""


def check_key(name: str, value: str) -> str:
    if value.strip().lower() in KNOWN_WEAK_KEYS or len(value) < MIN_KEY_LENGTH:
        raise KeyProblem(f"{name} must be a random value of at least {MIN_KEY_LENGTH} characters "
                        "(not a published default)")
    return value


def installation_key(name: str, configured: str | None, *, data_dir: str | Path,
                     production: bool) -> str:
    """The configured key (checked), or this installation's generated one.
    `name` is the environment variable, used in messages and as the file name."""
    if configured:
        return check_key(name, configured)
    if production:
        raise KeyProblem(f"{name} must be set in production (a random value of at least "
                        f"{MIN_KEY_LENGTH} characters, the same for every process)")
    path = Path(data_dir) / "keys" / name.lower()
    return check_key(name, read_or_create(path, lambda: secrets.token_urlsafe(48)))


def read_or_create(path: Path, generate: Callable[[], str]) -> str:
    """The file's content, or `generate()` written there first (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once agree on the first key written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the writer may not have finished its one write yet
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.02)
        raise KeyProblem(f"key file {path} is empty") from None
    value = generate()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
