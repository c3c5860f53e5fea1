"""llm: one chat completion against any OpenAI-compatible endpoint, through the
real `openai` client. Temporal does the retrying, so the client does none."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from pydantic import Field

from activities.base import NodeError
from workflows.node_types import TAKES_SECRET, NodeConfig, NodeType


class LlmConfig(NodeConfig):
    prompt: str = Field(min_length=1)
    system: str | None = None
    model: str | None = Field(None, description="default: AGENTIC_LLM_MODEL")
    base_url: str | None = Field(None, description="default: AGENTIC_LLM_BASE_URL")
    api_key: str | None = Field(None, description="e.g. '{{ secrets.OPENAI_KEY }}'; default: AGENTIC_LLM_API_KEY",
                                json_schema_extra=TAKES_SECRET)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0)
    json_schema: dict[str, Any] | None = Field(None, description="ask for JSON and validate it against this schema")
    timeout_s: float = Field(120.0, gt=0, le=1800)


async def run(config: LlmConfig, call, deps) -> dict[str, Any]:
    settings = deps.settings
    base_url = config.base_url or settings.llm_base_url
    model = config.model or settings.llm_model
    if not base_url or not model:
        raise NodeError("llm_not_configured",
                        "no LLM endpoint configured: set AGENTIC_LLM_BASE_URL and AGENTIC_LLM_MODEL "
                        "(or base_url and model in the node's config)")
    import openai  # imported here: the API imports this module only for its schema

    client = openai.AsyncOpenAI(base_url=base_url, api_key=config.api_key or settings.llm_api_key or "unset",
                                max_retries=0, timeout=config.timeout_s)
    messages = ([{"role": "system", "content": config.system}] if config.system else [])
    messages.append({"role": "user", "content": config.prompt})
    kwargs: dict[str, Any] = {"model": model, "messages": messages}
    if config.temperature is not None:
        kwargs["temperature"] = config.temperature
    if config.max_tokens is not None:
        kwargs["max_tokens"] = config.max_tokens
    if config.json_schema is not None:
        kwargs["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": "output", "schema": config.json_schema}}
    try:
        completion = await client.chat.completions.create(**kwargs)
    except openai.APIStatusError as err:
        retryable = err.status_code == 429 or err.status_code >= 500
        raise NodeError("llm_error", f"LLM endpoint answered {err.status_code}: {err.message}",
                        retryable=retryable) from None
    except openai.APIError as err:  # connection errors and timeouts
        raise NodeError("llm_unavailable", f"LLM endpoint unreachable: {err}", retryable=True) from None
    finally:
        await client.close()
    return _output(completion, config)


def _output(completion, config: LlmConfig) -> dict[str, Any]:
    choice = completion.choices[0]
    text = choice.message.content or ""
    usage = completion.usage.model_dump() if completion.usage else None
    out: dict[str, Any] = {"text": text, "model": completion.model, "finish_reason": choice.finish_reason,
                           "usage": usage}
    if config.json_schema is not None:
        try:
            out["json"] = json.loads(text)
            jsonschema.validate(out["json"], config.json_schema)
        except (ValueError, jsonschema.ValidationError) as err:
            message = getattr(err, "message", str(err))
            # A model may answer better on another try: retryable.
            raise NodeError("llm_invalid_json", f"reply does not match json_schema: {message}",
                            retryable=True) from None
    return out


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
