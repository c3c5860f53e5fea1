"""The payload codec: every payload the platform hands Temporal (workflow and
activity inputs and results, memo, summaries, failure details, query and
update values) is sealed with AES-256-GCM before it leaves the process, so
Temporal's database holds only ciphertext.

An encrypted payload is `{"encoding": "binary/encrypted",
"encryption-key-id": <id>}` + nonce (12 bytes) + ciphertext of the whole
original payload (its metadata included); the key id is bound as associated
data, so a payload relabelled with another id does not decrypt.

Decoding passes through any payload that is not ours: histories written
before encryption was turned on (and tests/histories/, recorded in plaintext)
still replay and show. Search attributes never go through a codec (Temporal
must read them for visibility queries), so they stay plaintext: keep personal
data out of them (they hold ids and the owner's user name).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from core.payload_keys import PayloadKeys

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadUndecryptable(ValueError):
    """An encrypted payload this process has no (right) key for."""


class EncryptionCodec(PayloadCodec):
    """`encrypt=False`: encryption turned off, but runs sealed earlier stay
    readable while their keys are configured (new payloads go out as they are)."""

    def __init__(self, keys: PayloadKeys, *, encrypt: bool = True) -> None:
        self._encrypt = encrypt
        self._current = keys.current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.by_id.items()}

    @property
    def current_key_id(self) -> str:
        return self._current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads] if self._encrypt else list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), self._current.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: self._current.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # plaintext: written before encryption, or by another codec-less client
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadUndecryptable(f"payload encrypted with key {key_id!r}, which this process does not hold "
                                       "(AGENTIC_PAYLOAD_KEYS: keep retired keys after the current one)")
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadUndecryptable(f"payload under key {key_id!r} does not decrypt (altered, or another "
                                       "key of that id)") from None
        return Payload.FromString(plain)


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


async def decode_message(message: Message, codec: PayloadCodec | None) -> None:
    """Decodes, in place, every Payload and Payloads anywhere inside a protobuf
    message (a history event, a whole History): what the debugger and tests
    read with a plain payload converter afterwards."""
    if codec is None:
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values()) if _map_of_messages(field) else []
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            await _decode_one(item, codec)


def _map_of_messages(field) -> bool:
    return field.message_type.fields_by_name["value"].type == field.TYPE_MESSAGE


async def _decode_one(item: Message, codec: PayloadCodec) -> None:
    if isinstance(item, Payloads):
        await codec.decode_wrapper(item)
    elif isinstance(item, Payload):
        item.CopyFrom((await codec.decode([item]))[0])
    else:
        await decode_message(item, codec)
