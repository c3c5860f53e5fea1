"""The notify node's config as saved: secrets only where the destination is,
never in the message; each channel's required fields."""

from __future__ import annotations

import pytest

from activities.notify_payloads import slack
from workflows.nodes.notify import NotifyConfig
from workflows.registry import REGISTRY
from workflows.validation import validate_definition

EMAIL = {"channel": "email", "smtp_host": "smtp.example.com", "from": "bot@example.com", "to": ["a@example.com"]}


def problems(config: dict) -> list:
    _, issues = validate_definition({"name": "t", "nodes": [{"id": "n", "type": "notify", "config": config}]},
                                    REGISTRY)
    return [(issue.code, issue.path) for issue in issues]


def test_valid_configs_save():
    assert problems({"channel": "webhook", "url": "{{ secrets.SLACK_HOOK }}", "format": "slack", "text": "hi"}) == []
    assert problems({**EMAIL, "password": "{{ secrets.SMTP }}", "text": "{{ inputs.x }}"}) == []


@pytest.mark.parametrize("field", ["text", "title", "subject", "html"])
def test_a_secret_in_the_message_is_refused(field):
    assert problems({**EMAIL, field: "token: {{ secrets.SMTP }}"}) == [
        ("secret_not_allowed", f"$.nodes[0].config.{field}")]


def test_a_secret_in_a_field_value_or_payload_is_refused():
    assert problems({"channel": "webhook", "url": "https://hooks.example.com/x",
                     "fields": {"k": "{{ secrets.A }}"}}) == [("secret_not_allowed", "$.nodes[0].config.fields.k")]
    assert problems({"channel": "webhook", "url": "https://hooks.example.com/x",
                     "payload": {"k": "{{ secrets.A }}"}}) == [("secret_not_allowed", "$.nodes[0].config.payload.k")]


@pytest.mark.parametrize("config", [{"channel": "webhook"}, {"channel": "email", "smtp_host": "h"},
                                    {"channel": "webhook", "url": "ftp://x/y"},
                                    {"channel": "webhook", "url": "https://x/", "format": "slack", "payload": {}},
                                    {"channel": "pigeon"}])
def test_an_incomplete_config_is_refused(config):
    assert problems(config) and all(path.startswith("$.nodes[0].config") for _, path in problems(config))


def test_slack_limits_are_respected():
    config = NotifyConfig.model_validate({"channel": "webhook", "url": "https://x/", "format": "slack",
                                          "title": "t" * 400, "fields": {f"k{i}": i for i in range(25)}})
    blocks = slack(config)["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150
    assert [len(b["fields"]) for b in blocks[1:]] == [10, 10, 5]
