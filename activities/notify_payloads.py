"""The bodies a notify webhook posts: generic JSON, Slack's incoming-webhook
message (text + Block Kit) and Microsoft Teams' (a workflow webhook taking an
Adaptive Card). Cut to each service's limits, so a long text is shortened
rather than refused."""

from __future__ import annotations

import json
from typing import Any

from workflows.nodes.notify import NotifyConfig

SLACK_HEADER_CHARS, SLACK_SECTION_CHARS, SLACK_FIELDS = 150, 3000, 10


def payload(config: NotifyConfig) -> Any:
    if config.format == "slack":
        return slack(config)
    if config.format == "teams":
        return teams(config)
    if config.payload is not None:
        return config.payload
    return {"title": config.title, "text": config.text, "fields": config.fields}


def slack(config: NotifyConfig) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if config.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": _cut(config.title, SLACK_HEADER_CHARS)}})
    if config.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(config.text, SLACK_SECTION_CHARS)}})
    facts = list(config.fields.items())
    for start in range(0, len(facts), SLACK_FIELDS):  # a section holds at most ten fields
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": _cut(f"*{key}*\n{_text(value)}", 2000)} for key, value in facts[start:start + SLACK_FIELDS]]})
    fallback = f"{config.title}: {config.text}" if config.title and config.text else config.title or config.text
    return {"text": _cut(fallback, SLACK_SECTION_CHARS), "blocks": blocks[:50]}


def teams(config: NotifyConfig) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if config.title:
        body.append({"type": "TextBlock", "text": config.title, "weight": "Bolder", "size": "Medium", "wrap": True})
    if config.text:
        body.append({"type": "TextBlock", "text": config.text, "wrap": True})
    if config.fields:
        body.append({"type": "FactSet", "facts": [{"title": key, "value": _text(value)}
                                                  for key, value in config.fields.items()]})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def plain_text(config: NotifyConfig) -> str:
    """An e-mail's text part: the text, then the fields one per line."""
    lines = [config.text] if config.text else []
    if config.fields:
        lines += ["", *(f"{key}: {_text(value)}" for key, value in config.fields.items())]
    return "\n".join(lines) + "\n"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
