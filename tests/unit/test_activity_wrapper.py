"""The pure parts of activities/base.py: Secrets, scrubbing, config rendering."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities import base
from activities.base import SECRET_ENV_PREFIX, NodeError, Secrets
from activities.http_request import NODE_TYPE as HTTP
from activities.transform import NODE_TYPE as TRANSFORM
from workflows.expressions import ExpressionError, render_value
from workflows.plan import NodeCall


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("AGENTIC_SECRET_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("AGENTIC_SECRET_OTHER", "hunter2")
    monkeypatch.delenv("AGENTIC_SECRET_MISSING", raising=False)
    monkeypatch.delenv("MISSING", raising=False)
    return monkeypatch


def test_prefix():
    assert SECRET_ENV_PREFIX == "AGENTIC_SECRET_"


def test_secret_read_from_env(env):
    secrets = Secrets()
    assert secrets.TOKEN == "s3cr3t-value"
    assert secrets["OTHER"] == "hunter2"
    assert secrets.used == {"s3cr3t-value", "hunter2"}


def test_secret_not_read_without_prefix(env):
    env.setenv("PLAIN", "x")
    with pytest.raises(ExpressionError):
        Secrets().PLAIN


def test_unknown_secret_is_expression_error(env):
    secrets = Secrets()
    with pytest.raises(ExpressionError) as info:
        secrets.MISSING
    assert str(info.value) == "secret 'MISSING' is not set (set AGENTIC_SECRET_MISSING on the worker)"
    assert secrets.used == set()


def test_unknown_secret_by_item(env):
    with pytest.raises(ExpressionError, match="AGENTIC_SECRET_MISSING"):
        Secrets()["MISSING"]


def test_private_names_are_attribute_errors(env):
    env.setenv("AGENTIC_SECRET__x", "nope")
    with pytest.raises(AttributeError):
        Secrets()._x


def test_secrets_in_template(env):
    secrets = Secrets()
    rendered = render_value({"h": "Bearer {{ secrets.TOKEN }}", "lone": "{{ secrets['OTHER'] }}"},
                            {"secrets": secrets})
    assert rendered == {"h": "Bearer s3cr3t-value", "lone": "hunter2"}
    assert secrets.used == {"s3cr3t-value", "hunter2"}


def test_unknown_secret_in_template_is_expression_error(env):
    with pytest.raises(ExpressionError, match="secret 'MISSING' is not set"):
        render_value({"h": "x {{ secrets.MISSING }}"}, {"secrets": Secrets()})


def test_scrub_nested(env):
    secrets = Secrets()
    secrets.TOKEN
    secrets.OTHER
    output = {
        "body": "token=s3cr3t-value; again s3cr3t-value",
        "list": ["hunter2", {"deep": ["x hunter2 y", 5, None, True]}],
        "n": 1.5,
        "untouched": "nothing here",
    }
    assert secrets.scrub(output) == {
        "body": "token=***; again ***",
        "list": ["***", {"deep": ["x *** y", 5, None, True]}],
        "n": 1.5,
        "untouched": "nothing here",
    }


def test_scrub_does_not_mutate_input(env):
    secrets = Secrets()
    secrets.TOKEN
    output = {"a": ["s3cr3t-value"]}
    secrets.scrub(output)
    assert output == {"a": ["s3cr3t-value"]}


def test_scrub_without_used_secrets_returns_same_object(env):
    secrets = Secrets()
    output = {"a": "s3cr3t-value"}
    assert secrets.scrub(output) is output


def test_scrub_only_values_actually_used(env):
    secrets = Secrets()
    secrets.TOKEN
    assert secrets.scrub("s3cr3t-value hunter2") == "*** hunter2"


def test_scrub_ignores_empty_secret(env):
    env.setenv("AGENTIC_SECRET_EMPTY", "")
    secrets = Secrets()
    assert secrets.EMPTY == ""
    assert secrets.scrub("abc") == "abc"


def test_scrub_scalars(env):
    secrets = Secrets()
    secrets.TOKEN
    assert secrets.scrub(5) == 5
    assert secrets.scrub(None) is None


def test_scrub_dict_keys(env):
    secrets = Secrets()
    secrets.TOKEN
    assert secrets.scrub({"s3cr3t-value": 1}) == {"***": 1}


def test_node_error_fields():
    err = NodeError("http_error", "boom", retryable=True, retry_after_s=2.5)
    assert (err.code, err.message, err.retryable, err.retry_after_s, str(err)) == ("http_error", "boom", True, 2.5, "boom")
    plain = NodeError("x", "y")
    assert (plain.retryable, plain.retry_after_s) == (False, None)


def test_seconds():
    assert base._seconds(None) is None
    assert base._seconds(0) is None
    assert base._seconds(1.5) == timedelta(seconds=1.5)


# _run: render with secrets, validate against the node type's schema, call the handler.

def call(config, context=None, node_type="transform"):
    return NodeCall(execution_id="e1", node_id="n", node_type=node_type, config=config,
                    context=context or {"inputs": {"x": 2}, "nodes": {}})


async def test_run_renders_and_validates(env):
    seen = {}

    async def handler(config, c, deps):
        seen["config"] = config
        return {"ok": True}

    secrets = Secrets()
    out = await base._run(HTTP, handler, None, call({"url": "http://h/{{ inputs.x }}",
                                                      "headers": {"A": "{{ secrets.TOKEN }}"}}), secrets)
    assert out == {"ok": True}
    assert seen["config"].url == "http://h/2"
    assert seen["config"].headers == {"A": "s3cr3t-value"}
    assert secrets.used == {"s3cr3t-value"}


async def test_run_expression_error_is_node_error(env):
    async def handler(config, c, deps):  # pragma: no cover - never reached
        raise AssertionError

    with pytest.raises(NodeError) as info:
        await base._run(TRANSFORM, handler, None, call({"output": "x {{ secrets.MISSING }}"}), Secrets())
    assert info.value.code == "expression_error"
    assert info.value.retryable is False
    assert "AGENTIC_SECRET_MISSING" in info.value.message


async def test_run_invalid_config_after_render_does_not_echo_secret(env):
    async def handler(config, c, deps):  # pragma: no cover - never reached
        raise AssertionError

    with pytest.raises(NodeError) as info:
        await base._run(HTTP, handler, None,
                        call({"url": "http://h", "timeout_s": "{{ secrets.TOKEN }}"}), Secrets())
    assert info.value.code == "invalid_config"
    assert info.value.message.startswith("config after rendering is invalid: timeout_s: ")
    assert "s3cr3t-value" not in info.value.message
