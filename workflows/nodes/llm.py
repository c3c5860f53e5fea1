"""llm: one chat completion against an OpenAI-compatible endpoint (handler:
activities/llm.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from workflows.node_types import TAKES_SECRET, TAKES_URL, NodeConfig, NodeType


class LlmConfig(NodeConfig):
    prompt: str = Field(min_length=1)
    system: str | None = None
    model: str | None = Field(None, description="default: AGENTIC_LLM_MODEL")
    base_url: str | None = Field(None, description="default: AGENTIC_LLM_BASE_URL", json_schema_extra=TAKES_URL)
    api_key: str | None = Field(None, description="e.g. '{{ secrets.OPENAI_KEY }}'; default: AGENTIC_LLM_API_KEY, "
                                "only for the operator's base URLs", json_schema_extra=TAKES_SECRET)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0)
    json_schema: dict[str, Any] | None = Field(None, description="ask for JSON and validate it against this schema")
    timeout_s: float = Field(120.0, gt=0, le=1800)


def destination(config: LlmConfig, settings) -> str | None:
    """Where the api_key goes: the endpoint's host."""
    return urlsplit(config.base_url or settings.llm_base_url or "").hostname


NODE_TYPE = NodeType(
    name="llm",
    config_model=LlmConfig,
    description="Chat completion against any OpenAI-compatible endpoint, optional JSON output.",
    default_timeout_s=180,
    destination=destination,
)
