"""The keys of the payload codec (core/payload_codec.py): which key encrypts
new payloads and which older ones still decrypt.

A key is `<id>:<base64 of 32 random bytes>` (AES-256). The id travels in every
encrypted payload's metadata, so a payload names the key that sealed it and
rotation is: put a new key first, keep the old ones after it.

- `AGENTIC_PAYLOAD_KEYS` (a JSON list, current key first) on every process;
- unset outside production: one key per installation generated in
  `<data_dir>/keys/agentic_payload_keys` (one key a line, current first,
  mode 0600), shared by every process reading that directory;
- unset in production with encryption on: refused (KeyProblem), so nothing
  is ever written to Temporal in plaintext by mistake.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.keys import KeyProblem, read_or_create

KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SETTING = "AGENTIC_PAYLOAD_KEYS"
FILE_NAME = "agentic_payload_keys"


@dataclass(frozen=True)
class PayloadKeys:
    """`current` encrypts; every key in `by_id` (current included) decrypts."""

    current: str
    by_id: dict[str, bytes]


def parse_keys(entries: list[str], *, source: str = SETTING) -> PayloadKeys:
    """Raises KeyProblem naming the entry by its position, never its value."""
    if not entries:
        raise KeyProblem(f"{source} holds no key")
    by_id: dict[str, bytes] = {}
    for position, entry in enumerate(entries):
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise KeyProblem(f"{source} entry {position} is not '<id>:<base64 key>' (id: letters, digits, "
                             "'.', '_', '-', at most 64)")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyProblem(f"{source} key {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise KeyProblem(f"{source} key {key_id!r} must be {KEY_BYTES} random bytes (base64), "
                             f"not {len(key)}")
        if key_id in by_id:
            raise KeyProblem(f"{source} names key {key_id!r} twice")
        by_id[key_id] = key
    return PayloadKeys(current=entries[0].strip().partition(":")[0], by_id=by_id)


def new_key_entry() -> str:
    """A fresh `<id>:<key>` line (the id is random too: it tells nothing of the key)."""
    return f"k-{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def payload_keys(configured: list[str], *, data_dir: str | Path, production: bool) -> PayloadKeys:
    if configured:
        return parse_keys(configured)
    if production:
        raise KeyProblem(f"{SETTING} must be set in production while payload encryption is on "
                         "(AGENTIC_PAYLOAD_ENCRYPTION): a JSON list of '<id>:<base64 of 32 bytes>', "
                         "the current key first, the same on every process")
    path = Path(data_dir) / "keys" / FILE_NAME
    lines = [line for line in read_or_create(path, new_key_entry).splitlines() if line.strip()]
    return parse_keys(lines, source=str(path))
