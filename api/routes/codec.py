"""/api/v1/codec/decode and /encode: Temporal's remote codec protocol, so the
Temporal Web UI (and `temporal workflow show --codec-endpoint`) show the
payloads the platform stores encrypted (core/payload_codec.py).

Admins only. A payload carries no owner the codec could check: whoever may
call /decode can read any run's inputs and outputs from any history, so it is
the same power as reading Temporal itself, which is an operator's
(docs/compliance.md, "Encrypted payloads"). Every call is in the audit log.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter
from temporalio.api.common.v1 import Payload

from api.deps import AdminUser, StateDep
from api.errors import ApiError
from api.schemas.codec import CodecPayload, CodecPayloads
from core.payload_codec import PayloadUndecryptable

router = APIRouter(prefix="/api/v1/codec", tags=["codec"])


@router.post("/decode", response_model=CodecPayloads)
async def decode(body: CodecPayloads, state: StateDep, _: AdminUser) -> CodecPayloads:
    """Decrypts each payload sealed by the platform; others come back unchanged."""
    codec = state.temporal.data_converter.payload_codec
    payloads = _from_body(body)
    if codec is not None:
        try:
            payloads = await codec.decode(payloads)
        except PayloadUndecryptable as err:
            raise ApiError(422, "payload_undecryptable", str(err)) from None
    return _to_body(payloads)


@router.post("/encode", response_model=CodecPayloads)
async def encode(body: CodecPayloads, state: StateDep, _: AdminUser) -> CodecPayloads:
    """Encrypts each payload with the current key (unchanged with encryption off)."""
    codec = state.temporal.data_converter.payload_codec
    payloads = _from_body(body)
    return _to_body(await codec.encode(payloads) if codec is not None else payloads)


def _from_body(body: CodecPayloads) -> list[Payload]:
    out = []
    for index, item in enumerate(body.payloads):
        try:
            out.append(Payload(metadata={k: _b64(v) for k, v in item.metadata.items()}, data=_b64(item.data)))
        except ValueError:
            raise ApiError(422, "validation_error", "payload metadata values and data must be base64",
                           [{"path": f"payloads[{index}]"}]) from None
    return out


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as err:
        raise ValueError(str(err)) from None


def _to_body(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(payloads=[
        CodecPayload(metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                     data=base64.b64encode(p.data).decode()) for p in payloads])
