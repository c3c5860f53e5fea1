"""The pure parts of activities/base.py: where secrets may appear (checked
again before anything resolves), operator-run resolution from the
environment, scrubbing, host bindings, config rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from activities import base
from activities.attempt import RENDERED_CAP_BYTES, Attempt, MaskedSecrets
from activities.base import ActivityDeps, NodeError, Secrets
from core.settings import Settings
from credentials.names import ENV_PREFIX
from credentials.resolver import Resolved, SecretResolver
from outbound import Outbound
from workflows.expressions import ExpressionError, render_value
from workflows.nodes.condition import NODE_TYPE as CONDITION
from workflows.nodes.http_request import NODE_TYPE as HTTP
from workflows.nodes.llm import NODE_TYPE as LLM
from workflows.nodes.transform import NODE_TYPE as TRANSFORM
from workflows.plan import NodeCall


ENV = {"AGENTIC_SECRET_TOKEN": "s3cr3t-value", "AGENTIC_SECRET_OTHER": "hunter2",
       "AGENTIC_SECRET_DEMO": "supersecretvalue", "PLAIN": "x"}


def deps(environ=None, **settings) -> ActivityDeps:
    """An operator run's resolver (no database) over a given environment."""
    config = Settings(database_url=None, **settings)
    return ActivityDeps(settings=config, outbound=Outbound(config),
                        secrets=SecretResolver(config, ENV if environ is None else environ))


def resolved(**values) -> dict[str, Resolved]:
    return {name: Resolved(value) for name, value in values.items()}


@pytest.fixture
def env():
    return Secrets(resolved(TOKEN="s3cr3t-value", OTHER="hunter2"))


def test_prefix():
    assert ENV_PREFIX == "AGENTIC_SECRET_"


def test_secrets_give_resolved_values(env):
    assert env.TOKEN == "s3cr3t-value"
    assert env["OTHER"] == "hunter2"
    assert env.used == {"s3cr3t-value", "hunter2"}


def test_unresolved_secret_is_expression_error(env):
    with pytest.raises(ExpressionError) as info:
        env.MISSING
    assert str(info.value) == "secret 'MISSING' was not resolved for this node"
    with pytest.raises(ExpressionError):
        env["MISSING"]


def test_private_names_are_attribute_errors(env):
    with pytest.raises(AttributeError):
        env._values_x


def test_secrets_in_template(env):
    rendered = render_value({"h": "Bearer {{ secrets.TOKEN }}", "lone": "{{ secrets['OTHER'] }}"},
                            {"secrets": env})
    assert rendered == {"h": "Bearer s3cr3t-value", "lone": "hunter2"}


def test_scrub_nested(env):
    secrets = env
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
    secrets = Secrets(resolved(TOKEN="s3cr3t-value"))
    output = {"a": ["s3cr3t-value"]}
    secrets.scrub(output)
    assert output == {"a": ["s3cr3t-value"]}


def test_scrub_without_secrets_returns_same_object():
    secrets = Secrets()
    output = {"a": "s3cr3t-value"}
    assert secrets.scrub(output) is output


def test_scrub_only_values_resolved_for_the_call():
    secrets = Secrets(resolved(TOKEN="s3cr3t-value"))
    assert secrets.scrub("s3cr3t-value hunter2") == "*** hunter2"


def test_scrub_ignores_empty_secret():
    secrets = Secrets(resolved(EMPTY=""))
    assert secrets.EMPTY == ""
    assert secrets.scrub("abc") == "abc"


def test_scrub_scalars(env):
    secrets = env
    assert secrets.scrub(5) == 5
    assert secrets.scrub(None) is None


def test_scrub_dict_keys(env):
    secrets = env
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

def call(config, context=None, node_type="transform", owner_id=None):
    return NodeCall(execution_id="e1", node_id="n", node_type=node_type, config=config,
                    context=context or {"inputs": {"x": 2}, "nodes": {}}, owner_id=owner_id)


async def never(config, c, deps):  # pragma: no cover - never reached
    raise AssertionError


async def test_run_renders_and_validates(env):
    seen = {}

    async def handler(config, c, deps):
        seen["config"] = config
        return {"ok": True}

    out = await base._run(HTTP, handler, deps(), call({"url": "http://h/{{ inputs.x }}",
                                                        "headers": {"A": "{{ secrets.TOKEN }}"}}), env)
    assert out == {"ok": True}
    assert seen["config"].url == "http://h/2"
    assert seen["config"].headers == {"A": "s3cr3t-value"}


async def test_run_expression_error_is_node_error(env):
    with pytest.raises(NodeError) as info:
        await base._run(TRANSFORM, never, deps(), call({"output": "x {{ inputs.nope }}"}), env)
    assert info.value.code == "expression_error"
    assert info.value.retryable is False


async def test_run_invalid_config_after_render_does_not_echo_secret(env):
    with pytest.raises(NodeError) as info:
        await base._run(LLM, never, deps(), call({"prompt": "p", "api_key": "{{ secrets.TOKEN }}",
                                                   "temperature": "{{ inputs.x * 10 }}"}), env)
    assert info.value.code == "invalid_config"
    assert info.value.message.startswith("config after rendering is invalid: temperature: ")
    assert "s3cr3t-value" not in info.value.message


# The rendered config kept for the debugger (activities/attempt.py): secrets
# rendered as `***` in a second rendering, scrubbed anyway, and capped.

async def test_the_rendered_config_shown_masks_secrets_and_keeps_the_rest(env):
    attempt = Attempt(number=1, started=datetime.now(UTC))
    config = {"url": "http://h/{{ inputs.x }}", "headers": {"A": "Bearer {{ secrets.TOKEN }}"},
              "json": {"echo": "s3cr3t-value inside"}}
    await base._run(HTTP, _ok, deps(), call(config), env, attempt)
    assert attempt.rendered == {"url": "http://h/2", "headers": {"A": "Bearer ***"}, "json": {"echo": "*** inside"}}
    assert attempt.details()["rendered"] == attempt.rendered


async def test_the_rendered_config_shown_is_capped(env):
    attempt = Attempt(number=1, started=datetime.now(UTC))
    await base._run(TRANSFORM, _ok, deps(), call({"output": "{{ 'x' * 40000 }}"}), env, attempt)
    assert set(attempt.rendered) == {"omitted"} and str(RENDERED_CAP_BYTES) in attempt.rendered["omitted"]


def test_masked_secrets_refuse_names_not_resolved():
    masked = MaskedSecrets({"TOKEN"})
    assert masked.TOKEN == "***" and masked["TOKEN"] == "***"
    with pytest.raises(ExpressionError):
        masked.OTHER
    with pytest.raises(AttributeError):
        masked._names_of_something


async def _ok(config, c, deps):
    return {"ok": True}


# _resolve_secrets: placement checked again by the worker (a plan can be forged),
# then resolution; an operator run (owner_id None) reads the environment.

async def test_operator_run_resolves_referenced_env_secrets_only():
    got = await base._resolve_secrets(HTTP, deps(), call(
        {"url": "http://h", "headers": {"A": "Bearer {{ secrets.TOKEN }}"}}, node_type="http_request"))
    assert {name: r.value for name, r in got.items()} == {"TOKEN": "s3cr3t-value"}


async def test_no_reference_resolves_nothing():
    assert await base._resolve_secrets(TRANSFORM, deps({}), call({"output": "{{ inputs.x }}"})) == {}


async def test_missing_env_secret_is_a_clear_node_error():
    with pytest.raises(NodeError) as info:
        await base._resolve_secrets(HTTP, deps(), call(
            {"url": "http://h", "headers": {"A": "{{ secrets.NOPE }}"}}, node_type="http_request"))
    assert info.value.code == "secret_not_set"
    assert "AGENTIC_SECRET_NOPE" in info.value.message


async def test_user_run_without_database_cannot_resolve():
    with pytest.raises(NodeError) as info:
        await base._resolve_secrets(HTTP, deps(), call(
            {"url": "http://h", "headers": {"A": "{{ secrets.TOKEN }}"}}, node_type="http_request", owner_id="u1"))
    assert info.value.code == "secret_store_unavailable"


@pytest.mark.parametrize("node_type, config, path", [
    # The two bypasses of the issue: a transform reshaping the value into its output.
    (TRANSFORM, {"output": "{{ secrets.DEMO | reverse }}"}, "$.config.output"),
    (TRANSFORM, {"output": "{{ secrets.DEMO | list | join('-') }}"}, "$.config.output"),
    (TRANSFORM, {"output": {"deep": ["{{ secrets.DEMO }}"]}}, "$.config.output.deep[0]"),
    (CONDITION, {"expression": "{{ secrets.DEMO[0] == 's' }}"}, "$.config.expression"),
    (HTTP, {"url": "http://h/{{ secrets.DEMO }}"}, "$.config.url"),
    (HTTP, {"url": "http://h", "json": {"k": "{{ secrets.DEMO }}"}}, "$.config.json.k"),
    (HTTP, {"url": "http://h", "headers": {"A": "{{ secrets.DEMO | upper }}"}}, "$.config.headers.A"),
    (LLM, {"prompt": "say {{ secrets.DEMO }}"}, "$.config.prompt"),
])
async def test_forged_secret_use_is_refused_before_resolution(node_type, config, path):
    with pytest.raises(NodeError) as info:
        await base._resolve_secrets(node_type, deps(), call(config, node_type=node_type.name))
    assert info.value.code == "secret_not_allowed"
    assert info.value.message.startswith(path + ": ")
    assert "supersecretvalue" not in info.value.message


# check_bindings: a secret bound to hosts goes only there.

def http_config(url, **extra):
    return HTTP.config_model.model_validate({"url": url, **extra})


def test_binding_allows_its_host():
    base.check_bindings(HTTP, http_config("https://API.example.com/x"), Settings(), {"T": ("api.example.com",)})
    base.check_bindings(HTTP, http_config("https://a.b.example.com/"), Settings(), {"T": ("*.example.com",)})


@pytest.mark.parametrize("url, hosts", [
    ("http://127.0.0.1:9/collect", ("api.example.com",)),
    ("https://api.example.com.evil.test/", ("api.example.com",)),
    ("https://example.com/", ("*.example.com",)),
])
def test_binding_refuses_other_hosts(url, hosts):
    with pytest.raises(NodeError) as info:
        base.check_bindings(HTTP, http_config(url), Settings(), {"T": hosts})
    assert info.value.code == "secret_host_not_allowed"
    assert "'T' may only be sent to" in info.value.message


def test_binding_refuses_when_redirects_may_carry_it_elsewhere():
    with pytest.raises(NodeError, match="follow_redirects"):
        base.check_bindings(HTTP, http_config("https://api.example.com/", follow_redirects=True), Settings(),
                            {"T": ("api.example.com",)})


def test_binding_checks_the_llm_endpoint():
    config = LLM.config_model.model_validate({"prompt": "p"})
    base.check_bindings(LLM, config, Settings(llm_base_url="https://llm.example.com/v1"), {"K": ("llm.example.com",)})
    with pytest.raises(NodeError, match="not to 'other.test'"):
        base.check_bindings(LLM, config.model_copy(update={"base_url": "https://other.test/v1"}),
                            Settings(llm_base_url="https://llm.example.com/v1"), {"K": ("llm.example.com",)})


def test_unbound_secrets_go_anywhere():
    base.check_bindings(HTTP, http_config("http://anywhere.test/", follow_redirects=True), Settings(), {"T": ()})
