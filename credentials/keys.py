"""The keyring from settings: AGENTIC_SECRETS_MASTER_KEY (or, outside
production, this installation's generated key under the data directory) is the
current key; AGENTIC_SECRETS_PREVIOUS_MASTER_KEYS still decrypt during a rotation."""

from __future__ import annotations

import functools

from core.keys import check_key, installation_key
from core.settings import Settings
from credentials.crypto import Kek, Keyring

MASTER_KEY_ENV = "AGENTIC_SECRETS_MASTER_KEY"
PREVIOUS_KEYS_ENV = "AGENTIC_SECRETS_PREVIOUS_MASTER_KEYS"


def keyring(settings: Settings) -> Keyring:
    """Raises core.keys.KeyProblem when no usable key is configured."""
    master = installation_key(MASTER_KEY_ENV, settings.secrets_master_key, data_dir=settings.data_dir,
                              production=settings.is_production)
    return _keyring(master, tuple(settings.secrets_previous_master_keys))


@functools.lru_cache(maxsize=8)
def _keyring(master: str, previous: tuple[str, ...]) -> Keyring:
    current = Kek.derive(master)
    retired = tuple(Kek.derive(check_key(PREVIOUS_KEYS_ENV, key)) for key in previous)
    return Keyring(current=current, retired=tuple(k for k in retired if k.id != current.id))
