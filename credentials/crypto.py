"""Envelope encryption: every secret value has its own random data key
(AES-256-GCM); the data key is stored wrapped (AES-256-GCM again) by a
key-encryption key derived from the master key with HKDF.

Rotating the master key re-wraps data keys only (`rewrap`); values are never
re-encrypted. Both layers bind the ciphertext to the secret's id (associated
data), so a value copied into another row does not decrypt there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
_KEK_INFO = b"agentic-platform credentials key-encryption key v1"
_KEY_ID_INFO = b"agentic-platform credentials key id v1"


class CryptoError(Exception):
    """A value that cannot be decrypted: unknown key id, wrong key, or tampering."""


def _hkdf(master: str, length: int, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master.encode())


@dataclass(frozen=True)
class Kek:
    """A key-encryption key and its public id (derived separately, so the id
    tells nothing about the key)."""

    id: str
    key: bytes

    @classmethod
    def derive(cls, master: str) -> Kek:
        return cls(id=_hkdf(master, 8, _KEY_ID_INFO).hex(), key=_hkdf(master, 32, _KEK_INFO))

    def __repr__(self) -> str:  # never the key bytes in a log or traceback
        return f"Kek(id={self.id!r})"


@dataclass(frozen=True)
class Keyring:
    """The current key (new values are wrapped by it) and retired ones that
    still unwrap what they wrapped until `rewrap` has moved everything."""

    current: Kek
    retired: tuple[Kek, ...] = ()

    def get(self, kek_id: str) -> Kek:
        for kek in (self.current, *self.retired):
            if kek.id == kek_id:
                return kek
        raise CryptoError(f"no master key with id {kek_id!r} is configured "
                          "(was a previous key removed before rewrapping?)")


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes  # the value under the data key, GCM tag included
    nonce: bytes
    wrapped_key: bytes  # the data key under the key-encryption key
    wrap_nonce: bytes
    kek_id: str


def _wrap_aad(kek_id: str, aad: str) -> bytes:
    return f"kek:{kek_id}|{aad}".encode()


def seal(value: str, keyring: Keyring, *, aad: str) -> Sealed:
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, value.encode(), aad.encode())
    return _wrap(data_key, ciphertext, nonce, keyring.current, aad)


def _wrap(data_key: bytes, ciphertext: bytes, nonce: bytes, kek: Kek, aad: str) -> Sealed:
    wrap_nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(kek.key).encrypt(wrap_nonce, data_key, _wrap_aad(kek.id, aad))
    return Sealed(ciphertext=ciphertext, nonce=nonce, wrapped_key=wrapped, wrap_nonce=wrap_nonce, kek_id=kek.id)


def _data_key(sealed: Sealed, keyring: Keyring, aad: str) -> bytes:
    kek = keyring.get(sealed.kek_id)
    try:
        return AESGCM(kek.key).decrypt(sealed.wrap_nonce, sealed.wrapped_key, _wrap_aad(kek.id, aad))
    except InvalidTag:
        raise CryptoError("the data key does not unwrap (wrong master key or a tampered row)") from None


def unseal(sealed: Sealed, keyring: Keyring, *, aad: str) -> str:
    data_key = _data_key(sealed, keyring, aad)
    try:
        return AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, aad.encode()).decode()
    except InvalidTag:
        raise CryptoError("the value does not decrypt (a tampered or moved row)") from None


def rewrap(sealed: Sealed, keyring: Keyring, *, aad: str) -> Sealed | None:
    """The same value with its data key wrapped by the current key; None when
    it already is."""
    if sealed.kek_id == keyring.current.id:
        return None
    data_key = _data_key(sealed, keyring, aad)
    return _wrap(data_key, sealed.ciphertext, sealed.nonce, keyring.current, aad)
