"""Bodies of the remote codec endpoints: Temporal's codec server protocol
(the Web UI and `temporal` CLI send and expect exactly this), payloads in
protobuf JSON (metadata values and data base64)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Strict

MAX_PAYLOADS = 1000


class CodecPayload(BaseModel):
    # Newer Temporal APIs add fields to a Payload (external references): ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, str] = Field(default_factory=dict, description="metadata values, base64")
    data: str = Field("", description="the payload's bytes, base64")


class CodecPayloads(Strict):
    payloads: list[CodecPayload] = Field(max_length=MAX_PAYLOADS)
