"""notify: a message to people, by webhook (generic JSON, Slack, Microsoft
Teams) or by e-mail over SMTP (handler: activities/notify.py).

Only the destination takes a secret (a webhook URL, its headers, the SMTP
password): the message itself may not, so no secret can be mailed or posted
as text, nor land in history with it."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from workflows.node_types import TAKES_SECRET, TAKES_URL, NodeConfig, NodeType

MAX_TEXT = 20_000


class NotifyConfig(NodeConfig):
    channel: Literal["webhook", "email"]
    title: str = Field("", max_length=500)
    text: str = Field("", max_length=MAX_TEXT, description="the message (Slack: mrkdwn; Teams: plain text)")
    fields: dict[str, Any] = Field(default_factory=dict, description="facts listed under the text")
    # webhook
    url: str | None = Field(None, json_schema_extra={**TAKES_URL, **TAKES_SECRET},
                            description="the webhook URL; may be a secret (a Slack webhook URL is one)")
    format: Literal["json", "slack", "teams"] = "json"
    headers: dict[str, str] = Field(default_factory=dict, json_schema_extra=TAKES_SECRET)
    payload: Any = Field(None, description="format json: sent as-is instead of {title, text, fields}")
    # email
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (required, not opportunistic), tls (implicit, port 465) or none")
    username: str | None = None
    password: str | None = Field(None, json_schema_extra=TAKES_SECRET, description="e.g. '{{ secrets.SMTP }}'")
    sender: str | None = Field(None, alias="from", description="the From address")
    to: list[str] = Field(default_factory=list, max_length=100)
    cc: list[str] = Field(default_factory=list, max_length=100)
    subject: str | None = Field(None, max_length=500, description="default: the title")
    html: str | None = Field(None, max_length=MAX_TEXT * 5, description="an HTML alternative to the text")
    timeout_s: float = Field(30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _channel_fields(self):
        if self.channel == "webhook" and not self.url:
            raise ValueError("a webhook notification needs `url`")
        if self.channel == "email":
            missing = [name for name, value in (("smtp_host", self.smtp_host), ("from", self.sender),
                                                ("to", self.to)) if not value]
            if missing:
                raise ValueError(f"an e-mail notification needs {', '.join(f'`{m}`' for m in missing)}")
        if self.payload is not None and self.format != "json":
            raise ValueError("`payload` is for format json; slack and teams are built from title, text and fields")
        return self


def destination(config: NotifyConfig, settings) -> str | None:
    """Where the secrets go: the webhook's host, or the SMTP server."""
    if config.channel == "email":
        return config.smtp_host
    return urlsplit(config.url or "").hostname


NODE_TYPE = NodeType(
    name="notify",
    config_model=NotifyConfig,
    description="Sends a message by webhook (JSON, Slack, Teams) or e-mail (SMTP); retried on transient failures.",
    default_timeout_s=60,
    destination=destination,
)
