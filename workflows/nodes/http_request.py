"""http_request: one HTTP call (handler: activities/http_request.py)."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field

from workflows.node_types import TAKES_SECRET, TAKES_URL, NodeConfig, NodeType

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class HttpRequestConfig(NodeConfig):
    method: Method = "GET"
    url: str = Field(json_schema_extra=TAKES_URL)
    headers: dict[str, str] = Field(default_factory=dict, json_schema_extra=TAKES_SECRET,
                                    description="values may reference secrets: 'Bearer {{ secrets.TOKEN }}'")
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json", description="sent as JSON")
    body: str | None = Field(None, description="sent as-is (give json or body, not both)")
    timeout_s: float = Field(30.0, gt=0, le=600)
    expected_status: list[int] = Field(default_factory=list, description="default: any 2xx")
    follow_redirects: bool = False


def destination(config: HttpRequestConfig, settings) -> str | None:
    """Where the headers (and their secrets) go; unknown when redirects are followed."""
    return None if config.follow_redirects else urlsplit(config.url).hostname


NODE_TYPE = NodeType(
    name="http_request",
    config_model=HttpRequestConfig,
    description="Calls an HTTP endpoint; JSON responses are parsed.",
    default_timeout_s=60,
    destination=destination,
)
