"""The llm node against a local OpenAI-compatible fake, through the real `openai` client."""

from __future__ import annotations

import json

import pytest

from tests.integration.fake_openai import FakeOpenAI, Reply
from tests.integration.graphs import failed_summary, graph, history_text, node, run, start

FAST_RETRY = {"max_attempts": 3, "initial_interval_s": 0.1, "backoff": 1.0, "max_interval_s": 0.1}


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_settings(settings, fake):
    return settings.model_copy(update={"llm_base_url": fake.base_url, "llm_model": "fake-model",
                                       "llm_api_key": "k"})


def llm_node(config: dict, **extra) -> dict:
    return node("ask", "llm", config, timeout_s=10, retry=extra.pop("retry", FAST_RETRY), **extra)


async def test_plain_completion(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script(Reply(content="Paris is the capital.", usage={"prompt_tokens": 21, "completion_tokens": 5,
                                                               "total_tokens": 26}))
    definition = graph([llm_node({"system": "You are terse.", "prompt": "Capital of {{ inputs.country }}?",
                                  "temperature": 0.3, "max_tokens": 50})])
    result = await run(client, task_queue, definition, {"country": "France"})

    ask = result.nodes["ask"]
    assert ask.state == "succeeded"
    assert ask.attempts == 1
    assert ask.output["text"] == "Paris is the capital."
    assert ask.output["model"] == "fake-model"
    assert ask.output["finish_reason"] == "stop"
    usage = ask.output["usage"]
    assert {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == {
        "prompt_tokens": 21, "completion_tokens": 5, "total_tokens": 26}
    assert "json" not in ask.output

    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer k"
    assert sent.body["model"] == "fake-model"
    assert sent.body["messages"] == [{"role": "system", "content": "You are terse."},
                                     {"role": "user", "content": "Capital of France?"}]
    assert sent.body["temperature"] == 0.3
    assert sent.body["max_tokens"] == 50
    assert "response_format" not in sent.body


async def test_no_system_prompt_and_no_temperature_sends_only_user_message(
        client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script("hi")
    result = await run(client, task_queue, graph([llm_node({"prompt": "hello"})]))
    assert result.nodes["ask"].output["text"] == "hi"
    body = fake.requests[0].body
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert "temperature" not in body
    assert "max_tokens" not in body


async def test_node_config_overrides_model_and_key(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script("overridden")
    result = await run(client, task_queue, graph([llm_node({"prompt": "x", "model": "other-model",
                                                            "api_key": "node-key"})]))
    assert result.nodes["ask"].output["model"] == "other-model"
    assert fake.requests[0].body["model"] == "other-model"
    assert fake.requests[0].headers["authorization"] == "Bearer node-key"


async def test_json_schema_output_is_parsed(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["city", "population"]}
    fake.script('{"city": "Paris", "population": 2102650}')
    result = await run(client, task_queue, graph([llm_node({"prompt": "facts", "json_schema": schema})]))

    ask = result.nodes["ask"]
    assert ask.state == "succeeded"
    assert ask.output["json"] == {"city": "Paris", "population": 2102650}
    assert ask.output["text"] == '{"city": "Paris", "population": 2102650}'
    assert fake.requests[0].body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "output", "schema": schema}}


async def test_invalid_json_is_retried_then_fails(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script("this is not JSON")
    definition = graph([llm_node({"prompt": "facts", "json_schema": {"type": "object"}})])
    summary = await failed_summary(client, task_queue, definition)

    ask = summary["nodes"]["ask"]
    assert ask["state"] == "failed"
    assert ask["error"]["code"] == "llm_invalid_json"
    assert ask["error"]["message"].startswith("reply does not match json_schema")
    assert ask["attempts"] == 3
    assert len(fake.requests) == 3


async def test_json_not_matching_schema_is_retried_then_succeeds(
        client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fake.script('{"n": "seven"}', '{"n": 7}')
    result = await run(client, task_queue, graph([llm_node({"prompt": "n?", "json_schema": schema})]))
    assert result.nodes["ask"].output["json"] == {"n": 7}
    assert result.nodes["ask"].attempts == 2
    assert len(fake.requests) == 2


async def test_server_error_is_retried_then_succeeds(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script(Reply(status=500, error_message="overloaded"), Reply(status=503), "recovered")
    result = await run(client, task_queue, graph([llm_node({"prompt": "x"})]))
    ask = result.nodes["ask"]
    assert ask.state == "succeeded"
    assert ask.output["text"] == "recovered"
    assert ask.attempts == 3
    assert len(fake.requests) == 3


async def test_rate_limit_is_retried(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script(Reply(status=429, error_message="slow down"), "after 429")
    result = await run(client, task_queue, graph([llm_node({"prompt": "x"})]))
    assert result.nodes["ask"].output["text"] == "after 429"
    assert result.nodes["ask"].attempts == 2


async def test_client_error_fails_without_retry(client, task_queue, make_worker, llm_settings, fake):
    await make_worker(llm_settings)
    fake.script(Reply(status=400, error_message="unknown parameter"))
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x"})]))

    ask = summary["nodes"]["ask"]
    assert ask["state"] == "failed"
    assert ask["error"]["code"] == "llm_error"
    assert ask["error"]["message"].startswith("LLM endpoint answered 400")
    assert "unknown parameter" in ask["error"]["message"]
    assert ask["attempts"] == 1
    assert len(fake.requests) == 1
    assert summary["error"]["node"] == "ask"
    assert summary["error"]["code"] == "llm_error"


async def test_unreachable_endpoint_fails_with_llm_unavailable(client, task_queue, make_worker, settings):
    from cli.devserver import free_port

    port = free_port()  # nothing listens there
    await make_worker(settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{port}/v1",
                                                  "llm_model": "fake-model", "llm_api_key": "k"}))
    retry = {**FAST_RETRY, "max_attempts": 2}
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x"}, retry=retry)]))
    ask = summary["nodes"]["ask"]
    assert ask["error"]["code"] == "llm_unavailable"
    assert ask["attempts"] == 2


async def test_unconfigured_is_a_clear_node_failure(client, task_queue, make_worker, settings, fake):
    await make_worker(settings.model_copy(update={"llm_base_url": None, "llm_model": None, "llm_api_key": None}))
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x"})]))

    assert summary["status"] == "failed"
    ask = summary["nodes"]["ask"]
    assert ask["state"] == "failed"
    assert ask["error"]["code"] == "llm_not_configured"
    assert "AGENTIC_LLM_BASE_URL" in ask["error"]["message"]
    assert ask["attempts"] == 1  # not retryable: retrying cannot help
    assert fake.requests == []


async def test_unconfigured_model_only_is_a_clear_node_failure(client, task_queue, make_worker, settings, fake):
    await make_worker(settings.model_copy(update={"llm_base_url": fake.base_url, "llm_model": None}))
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x"})]))
    assert summary["nodes"]["ask"]["error"]["code"] == "llm_not_configured"
    assert summary["nodes"]["ask"]["attempts"] == 1
    assert fake.requests == []


async def test_api_key_secret_reaches_server_but_not_history(
        client, task_queue, make_worker, llm_settings, fake, monkeypatch):
    secret = "sk-live-7f3a9c2e1d"
    monkeypatch.setenv("AGENTIC_SECRET_LLM_KEY", secret)
    await make_worker(llm_settings)
    fake.script(f"the key was {secret}")
    handle = await start(client, task_queue,
                         graph([llm_node({"prompt": "x", "api_key": "{{ secrets.LLM_KEY }}"})]))
    result = await handle.result()

    assert fake.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert result.nodes["ask"].output["text"] == "the key was ***"
    text = await history_text(handle)
    assert "the key was ***" in text  # the search does see payload contents
    assert "{{ secrets.LLM_KEY }}" in text
    assert secret not in text


# Issue 8 item 7: the operator's key goes only to the operator's endpoints.

OPERATOR_KEY = "sk-operator-3c9e1f"


@pytest.fixture
def listener():
    """Another OpenAI-compatible server: a node's own choice (or an attacker's)."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


async def test_the_operator_key_is_not_sent_to_a_base_url_the_node_chose(
        client, task_queue, make_worker, llm_settings, fake, listener):
    await make_worker(llm_settings.model_copy(update={"llm_api_key": OPERATOR_KEY}))
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x",
                                                                       "base_url": listener.base_url})]))
    ask = summary["nodes"]["ask"]
    assert ask["error"]["code"] == "llm_api_key_required"
    assert f"http://127.0.0.1:{listener.port}" in ask["error"]["message"]
    assert ask["attempts"] == 1
    assert listener.requests == [] and fake.requests == []  # nothing was sent anywhere
    assert OPERATOR_KEY not in json.dumps(summary)


async def test_without_an_operator_key_no_placeholder_goes_out_either(
        client, task_queue, make_worker, llm_settings, listener):
    await make_worker(llm_settings.model_copy(update={"llm_api_key": None}))
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x",
                                                                       "base_url": listener.base_url})]))
    assert summary["nodes"]["ask"]["error"]["code"] == "llm_api_key_required"
    assert listener.requests == []


async def test_a_node_chosen_base_url_gets_the_nodes_own_key_only(
        client, task_queue, make_worker, llm_settings, fake, listener):
    await make_worker(llm_settings.model_copy(update={"llm_api_key": OPERATOR_KEY}))
    listener.script("mine")
    result = await run(client, task_queue, graph([llm_node({"prompt": "x", "base_url": listener.base_url,
                                                            "api_key": "node-own-key"})]))
    assert result.nodes["ask"].output["text"] == "mine"
    assert listener.requests[0].headers["authorization"] == "Bearer node-own-key"
    assert fake.requests == []


async def test_the_operator_key_goes_to_the_operator_endpoint_and_its_allow_list(
        client, task_queue, make_worker, llm_settings, fake, listener):
    await make_worker(llm_settings.model_copy(update={"llm_api_key": OPERATOR_KEY,
                                                      "llm_api_key_base_urls": [listener.base_url + "/"]}))
    await run(client, task_queue, graph([llm_node({"prompt": "x"})]))
    await run(client, task_queue, graph([llm_node({"prompt": "x", "base_url": listener.base_url})]))
    assert fake.requests[0].headers["authorization"] == f"Bearer {OPERATOR_KEY}"
    assert listener.requests[0].headers["authorization"] == f"Bearer {OPERATOR_KEY}"


async def test_the_operator_endpoint_without_a_key_gets_no_authorization_at_all(
        client, task_queue, make_worker, llm_settings, fake, monkeypatch):
    # Nor what the SDK would take from the worker's environment.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-worker-env")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "Authorization: Bearer ambient-from-env")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-of-the-operator")
    await make_worker(llm_settings.model_copy(update={"llm_api_key": None}))
    await run(client, task_queue, graph([llm_node({"prompt": "x"})]))
    headers = fake.requests[0].headers
    assert "authorization" not in headers
    assert "openai-organization" not in headers


async def test_a_node_key_wins_over_the_workers_environment(
        client, task_queue, make_worker, llm_settings, listener, monkeypatch):
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "Authorization: Bearer ambient-from-env")
    await make_worker(llm_settings)
    await run(client, task_queue, graph([llm_node({"prompt": "x", "base_url": listener.base_url,
                                                   "api_key": "node-own-key"})]))
    assert listener.requests[0].headers["authorization"] == "Bearer node-own-key"


@pytest.mark.parametrize("base_url", ["http://169.254.169.254/v1", "http://10.0.0.1/v1", "temporal", "by name"])
async def test_an_llm_base_url_on_the_inside_is_refused(
        client, task_queue, make_worker, llm_settings, temporal_address, base_url):
    port = temporal_address.rsplit(":", 1)[1]
    # "by name": refused in the transport, after resolving (the SDK wraps that error)
    base_url = {"temporal": f"http://127.0.0.1:{port}/v1",
                "by name": f"http://localhost:{port}/v1"}.get(base_url, base_url)
    await make_worker(llm_settings)
    summary = await failed_summary(client, task_queue, graph([llm_node({"prompt": "x", "base_url": base_url,
                                                                       "api_key": "node-own-key"})]))
    ask = summary["nodes"]["ask"]
    assert ask["error"]["code"] == "destination_not_allowed", ask["error"]
    assert ask["attempts"] == 1


async def test_an_llm_endpoint_redirect_is_not_followed(
        client, task_queue, make_worker, llm_settings, temporal_http_port):
    """An LLM API has no business redirecting: the guarded client follows
    none, so a redirect into the inside ends as the endpoint's answer."""
    from tests.integration.local_server import LocalServer

    redirector = LocalServer()
    redirector.thread.start()
    try:
        target = f"http://127.0.0.1:{temporal_http_port}/api/v1/namespaces/default"
        redirector.route("/v1/chat/completions", (307, {"Location": target}, ""))
        await make_worker(llm_settings)
        summary = await failed_summary(client, task_queue, graph([llm_node({
            "prompt": "x", "base_url": redirector.url("/v1"), "api_key": "node-own-key"})]))
        ask = summary["nodes"]["ask"]
        assert ask["error"]["code"] == "llm_error", ask["error"]
        assert ask["error"]["message"].startswith("LLM endpoint answered 307")
        assert len(redirector.hits("/v1/chat/completions")) == 1
    finally:
        redirector.httpd.shutdown()
        redirector.httpd.server_close()
