"""llm: one chat completion against any OpenAI-compatible endpoint, through the
real `openai` client. Temporal does the retrying, so the client does none.

The request goes through the guarded client (outbound/), and the operator's
AGENTIC_LLM_API_KEY goes only to the operator's endpoints: a node that picks
its own base_url brings its own api_key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import openai

from activities.base import NodeError
from outbound import DestinationNotAllowed
from workflows.nodes.llm import LlmConfig


async def run(config: LlmConfig, call, deps) -> dict[str, Any]:
    settings = deps.settings
    base_url = config.base_url or settings.llm_base_url
    model = config.model or settings.llm_model
    if not base_url or not model:
        raise NodeError("llm_not_configured",
                        "no LLM endpoint configured: set AGENTIC_LLM_BASE_URL and AGENTIC_LLM_MODEL "
                        "(or base_url and model in the node's config)")
    api_key = _api_key(config, settings, base_url)
    # The SDK would fill a missing key from OPENAI_API_KEY and add
    # OPENAI_ORG_ID / OPENAI_PROJECT_ID: the worker's environment is not the
    # node's to send, so the key is always given and the Authorization header
    # set per request (it also wins over an OPENAI_CUSTOM_HEADERS one).
    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or _no_key, max_retries=0,
                                timeout=config.timeout_s, http_client=deps.outbound.httpx2_client())
    client.organization = client.project = None
    messages = ([{"role": "system", "content": config.system}] if config.system else [])
    messages.append({"role": "user", "content": config.prompt})
    authorization = f"Bearer {api_key}" if api_key else openai.omit
    kwargs: dict[str, Any] = {"model": model, "messages": messages,
                              "extra_headers": {"Authorization": authorization}}
    if config.temperature is not None:
        kwargs["temperature"] = config.temperature
    if config.max_tokens is not None:
        kwargs["max_tokens"] = config.max_tokens
    if config.json_schema is not None:
        kwargs["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": "output", "schema": config.json_schema}}
    try:
        deps.outbound.check_url(base_url)
        completion = await client.chat.completions.create(**kwargs)
    except DestinationNotAllowed as err:
        raise NodeError("destination_not_allowed", str(err)) from None
    except openai.APIStatusError as err:
        retryable = err.status_code == 429 or err.status_code >= 500
        raise NodeError("llm_error", f"LLM endpoint answered {err.status_code}: {err.message}",
                        retryable=retryable) from None
    except openai.APIError as err:  # connection errors and timeouts
        if isinstance(err.__cause__, DestinationNotAllowed):  # the guard, wrapped by the SDK
            raise NodeError("destination_not_allowed", str(err.__cause__)) from None
        raise NodeError("llm_unavailable", f"LLM endpoint unreachable: {err}", retryable=True) from None
    finally:
        await client.close()
    return _output(completion, config)


async def _no_key() -> str:
    """Stands for "no key" so the SDK does not look for one in the environment."""
    return ""


def _api_key(config: LlmConfig, settings, base_url: str) -> str | None:
    """The node's own key; else the operator's, only for the operator's endpoints."""
    if config.api_key:
        return config.api_key
    operator_urls = [settings.llm_base_url, *settings.llm_api_key_base_urls]
    if any(url and _same_base_url(base_url, url) for url in operator_urls):
        return settings.llm_api_key
    raise NodeError("llm_api_key_required",
                    f"base_url {_origin(base_url)} is not the operator's LLM endpoint, so the operator's key is "
                    "not sent there: give the node an api_key (e.g. '{{ secrets.MY_LLM_KEY }}')")


def _same_base_url(a: str, b: str) -> bool:
    return _normalized(a) == _normalized(b)


def _normalized(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url.strip())
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        port = -1  # matches nothing well-formed
    return parts.scheme.lower(), (parts.hostname or ""), port, parts.path.rstrip("/")


def _origin(url: str) -> str:
    scheme, host, port, _ = _normalized(url)
    return f"{scheme}://{host}:{port}" if host else "(invalid URL)"


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
