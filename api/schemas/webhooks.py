"""Webhooks: the bodies of the management API and what it answers. The token
and a generated signing secret appear only in the answer that made them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from api.schemas.common import MAX_INT, FromRow, Strict

InputName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
HeaderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")]
# Credentials never become inputs (inputs reach Temporal's history and the row).
UNMAPPABLE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-hub-signature-256",
                                "stripe-signature"})


class SignatureConfig(Strict):
    style: Literal["github", "stripe"] = Field(
        description="github: X-Hub-Signature-256 (HMAC-SHA256 of the body); stripe: Stripe-Signature "
                    "(HMAC-SHA256 of '<t>.<body>', t within tolerance_s of now)")
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="the sender's signing secret; omitted: one is generated and "
                                           "shown once in the answer")
    tolerance_s: int = Field(300, ge=10, le=3600, description="stripe: how far t may be from now")


class WebhookCreate(Strict):
    name: str = Field("", max_length=200)
    version: int | None = Field(None, ge=1, le=MAX_INT, description="defaults to the latest at each delivery")
    signature: SignatureConfig | None = Field(None, description="omitted: the URL's token alone authenticates")
    body_input: InputName | None = Field(
        None, description="put the JSON body under this input; omitted: the body (an object) is the inputs")
    header_inputs: dict[HeaderName, InputName] = Field(
        default_factory=dict, max_length=20, description="{header name: input name}: headers copied into inputs")
    rate_limit_per_minute: int = Field(60, ge=1, le=10_000)

    @field_validator("header_inputs")
    @classmethod
    def _no_credentials(cls, value: dict[str, str]) -> dict[str, str]:
        lowered = {header.lower(): name for header, name in value.items()}
        if refused := sorted(UNMAPPABLE_HEADERS & lowered.keys()):
            raise ValueError(f"credential headers cannot become inputs: {', '.join(refused)}")
        if len(lowered) < len(value):
            raise ValueError("a header is named twice (header names ignore case)")
        return lowered


class WebhookRotate(Strict):
    signing_secret: bool = Field(False, description="also generate a new signing secret (shown once)")


class WebhookPublic(FromRow):
    """No token and no secret: they are shown once, when made."""

    id: str
    workflow_id: str
    owner_id: str
    name: str
    version: int | None
    signature: str
    tolerance_s: int
    body_input: str | None
    header_inputs: dict[str, str]
    rate_limit_per_minute: int
    created_at: datetime
    rotated_at: datetime | None
    last_delivery_at: datetime | None


class WebhookCreated(WebhookPublic):
    token: str = Field(description="shown once; only its hash is stored")
    url: str = Field(description="POST deliveries here (the token is in it: keep it secret)")
    signing_secret: str | None = Field(None, description="a generated signing secret, shown once")
