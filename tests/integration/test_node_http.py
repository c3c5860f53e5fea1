"""The http_request node against a local HTTP server the test starts."""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowFailureError

from cli.devserver import free_port
from tests.integration.graphs import failed_summary, graph, history_text, node, run, start
from tests.integration.local_server import server  # noqa: F401 - the fixture
from workflows.failures import summary_of

FAST_RETRY = {"max_attempts": 3, "initial_interval_s": 0.1, "backoff": 1.0, "max_interval_s": 0.1}


@pytest.fixture
def path(task_queue) -> str:
    """A path unique to the test, so the shared server's records never mix."""
    return f"/{task_queue}"


def http_node(config: dict, node_id: str = "call", **extra) -> dict:
    return node(node_id, "http_request", {"timeout_s": 5, **config}, timeout_s=10,
                retry=extra.pop("retry", FAST_RETRY), **extra)


async def test_get_json_is_parsed(client, task_queue, worker, server, path):
    url = server.route(path, (200, {"X-Thing": "yes"}, {"items": [1, 2, 3], "name": "list"}))
    result = await run(client, task_queue, graph([http_node({"url": url})]))

    call = result.nodes["call"]
    assert call.state == "succeeded"
    assert call.attempts == 1
    assert call.output["status"] == 200
    assert call.output["body"] == {"items": [1, 2, 3], "name": "list"}
    assert call.output["headers"]["content-type"] == "application/json"
    assert call.output["headers"]["x-thing"] == "yes"
    assert isinstance(call.output["elapsed_ms"], float) and call.output["elapsed_ms"] >= 0
    hits = server.hits(path)
    assert [h.method for h in hits] == ["GET"]


async def test_non_json_body_is_text(client, task_queue, worker, server, path):
    url = server.route(path, (200, {}, "plain words"))
    result = await run(client, task_queue, graph([http_node({"url": url})]))
    assert result.nodes["call"].output["body"] == "plain words"


async def test_post_json_with_headers_and_query(client, task_queue, worker, server, path):
    url = server.route(path, "echo")
    definition = graph([
        node("prep", "transform", {"output": {"who": "{{ inputs.who }}"}}),
        http_node({"method": "POST", "url": url,
                   "headers": {"X-Request-Id": "req-{{ inputs.n }}", "Accept": "application/json"},
                   "query": {"page": 2, "q": "a b", "flag": True},
                   "json": {"name": "{{ nodes.prep.output.who }}", "n": "{{ inputs.n }}", "tags": ["x"]}}),
    ], [("prep", "call")])
    result = await run(client, task_queue, definition, {"who": "ada", "n": 7})

    echoed = result.nodes["call"].output["body"]
    assert echoed["method"] == "POST"
    assert echoed["path"] == path
    assert echoed["query"] == {"page": ["2"], "q": ["a b"], "flag": ["true"]}
    assert echoed["headers"]["x-request-id"] == "req-7"
    assert echoed["headers"]["content-type"] == "application/json"
    assert json.loads(echoed["body"]) == {"name": "ada", "n": 7, "tags": ["x"]}


async def test_raw_body_is_sent_as_is(client, task_queue, worker, server, path):
    url = server.route(path, "echo")
    result = await run(client, task_queue, graph([http_node(
        {"method": "PUT", "url": url, "body": "line1\nline2", "headers": {"Content-Type": "text/plain"}})]))
    echoed = result.nodes["call"].output["body"]
    assert echoed["method"] == "PUT"
    assert echoed["body"] == "line1\nline2"
    assert echoed["headers"]["content-type"] == "text/plain"


async def test_json_and_body_together_is_invalid(client, task_queue, worker, server, path):
    url = server.route(path, "echo")
    summary = await failed_summary(client, task_queue, graph([http_node(
        {"method": "POST", "url": url, "body": "x", "json": {"a": 1}})]))
    assert summary["nodes"]["call"]["error"]["code"] == "invalid_config"
    assert summary["nodes"]["call"]["attempts"] == 1
    assert server.hits(path) == []


async def test_5xx_twice_then_success(client, task_queue, worker, server, path):
    url = server.route(path, (503, {}, "busy"), (503, {}, "busy"), (200, {}, {"ok": True}))
    result = await run(client, task_queue, graph([http_node({"url": url})]))

    call = result.nodes["call"]
    assert call.state == "succeeded"
    assert call.attempts == 3
    assert call.output["body"] == {"ok": True}
    assert len(server.hits(path)) == 3


async def test_5xx_exhausts_retries(client, task_queue, worker, server, path):
    url = server.route(path, (500, {}, "always broken"))
    retry = {**FAST_RETRY, "max_attempts": 2}
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url}, retry=retry)]))
    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "http_status_retryable"
    assert "answered 500" in call["error"]["message"]
    assert "always broken" in call["error"]["message"]
    assert call["attempts"] == 2
    assert len(server.hits(path)) == 2


async def test_404_fails_without_retry(client, task_queue, worker, server, path):
    url = server.route(path, (404, {}, {"detail": "no such thing"}))
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))

    assert summary["status"] == "failed"
    call = summary["nodes"]["call"]
    assert call["state"] == "failed"
    assert call["attempts"] == 1
    assert call["error"]["code"] == "http_status"
    assert call["error"]["message"] == f'GET {url} answered 404: {{"detail": "no such thing"}}'
    assert len(server.hits(path)) == 1


async def test_expected_status_accepts_404(client, task_queue, worker, server, path):
    url = server.route(path, (404, {}, {"detail": "gone"}))
    result = await run(client, task_queue, graph([http_node({"url": url, "expected_status": [404]})]))
    assert result.nodes["call"].output["status"] == 404
    assert result.nodes["call"].output["body"] == {"detail": "gone"}


async def test_expected_status_rejects_unlisted_2xx(client, task_queue, worker, server, path):
    url = server.route(path, (200, {}, "fine"))
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url, "expected_status": [201]})]))
    assert summary["nodes"]["call"]["error"]["code"] == "http_status"
    assert summary["nodes"]["call"]["attempts"] == 1


async def test_429_with_retry_after_is_retried_after_the_delay(client, task_queue, worker, server, path):
    url = server.route(path, (429, {"Retry-After": "2"}, "slow down"), (200, {}, {"ok": 1}))
    result = await run(client, task_queue, graph([http_node({"url": url})]))

    call = result.nodes["call"]
    assert call.state == "succeeded"
    assert call.attempts == 2
    assert call.output["body"] == {"ok": 1}
    first, second = server.hits(path)
    # The retry policy alone would retry after 0.1 s; Retry-After asks for 2 s.
    assert second.at - first.at >= 1.9


async def test_response_over_cap_fails(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"http_response_cap_bytes": 1000}))
    url = server.route(path, (200, {}, b"x" * 5000))
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))

    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "response_too_large"
    assert call["error"]["message"] == "response body is over the cap of 1000 bytes"
    assert call["attempts"] == 1
    assert len(server.hits(path)) == 1


async def test_response_exactly_at_cap_passes(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"http_response_cap_bytes": 1000}))
    url = server.route(path, (200, {}, b"y" * 1000))
    result = await run(client, task_queue, graph([http_node({"url": url})]))
    assert result.nodes["call"].output["body"] == "y" * 1000


async def test_host_not_in_allow_list(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"http_allowed_hosts": ["example.invalid"]}))
    url = server.route(path, "echo")
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))

    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "host_not_allowed"
    assert call["error"]["message"] == "host '127.0.0.1' is not in the allow-list"
    assert call["attempts"] == 1
    assert server.hits(path) == []


async def test_host_in_allow_list(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"http_allowed_hosts": ["example.invalid", "127.0.0.1"]}))
    url = server.route(path, (200, {}, {"ok": True}))
    result = await run(client, task_queue, graph([http_node({"url": url})]))
    assert result.nodes["call"].output["body"] == {"ok": True}


async def test_invalid_url_scheme(client, task_queue, worker):
    # A literal file:// URL is refused when the graph is validated (issue 10.9);
    # one that a template makes at run time meets the node's own check.
    summary = await failed_summary(client, task_queue, graph([http_node({"url": "{{ inputs.url }}"})]),
                                   {"url": "file:///etc/passwd"})
    assert summary["nodes"]["call"]["error"]["code"] == "invalid_url"
    assert summary["nodes"]["call"]["attempts"] == 1


async def test_connection_refused_retried_then_fails(client, task_queue, worker):
    port = free_port()  # bound and released: nothing listens there
    url = f"http://127.0.0.1:{port}/nothing"
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))

    call = summary["nodes"]["call"]
    assert call["state"] == "failed"
    assert call["error"]["code"] == "http_connection_error"
    assert call["error"]["message"].startswith(f"GET {url}: ")
    assert call["attempts"] == FAST_RETRY["max_attempts"]


async def test_slow_response_times_out(client, task_queue, worker, server, path):
    # The server answers, but later than the node's own request timeout.
    url = server.route(path, ("sleep", 1.0, (200, {}, "late")))
    retry = {**FAST_RETRY, "max_attempts": 2}
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url, "timeout_s": 0.3}, retry=retry)]))
    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "http_timeout"
    assert call["error"]["message"] == f"GET {url} timed out after 0.3s"
    assert call["attempts"] == 2
    assert len(server.hits(path)) == 2


async def test_secret_header_reaches_server_and_is_scrubbed(
        client, task_queue, worker, server, path, monkeypatch):
    # Started without the API, these are operator runs (no owner): the
    # operator's environment secrets serve them (users' runs: test_secrets.py).
    secret = "tok-4c1b9e77a2f0"
    monkeypatch.setenv("AGENTIC_SECRET_TOKEN", secret)
    url = server.route(path, "echo")
    handle = await start(client, task_queue, graph([http_node(
        {"url": url, "headers": {"Authorization": "Bearer {{ secrets.TOKEN }}"}})]))
    result = await handle.result()

    assert server.hits(path)[0].headers["authorization"] == f"Bearer {secret}"
    echoed = result.nodes["call"].output["body"]
    assert echoed["headers"]["authorization"] == "Bearer ***"
    assert secret not in json.dumps(result.model_dump(mode="json"))

    text = await history_text(handle)
    assert "Bearer ***" in text  # the search does see decoded payloads
    assert "{{ secrets.TOKEN }}" in text
    assert secret not in text


async def test_secret_echoed_in_error_is_scrubbed(client, task_queue, worker, server, path, monkeypatch):
    secret = "tok-err-91d0c3"
    monkeypatch.setenv("AGENTIC_SECRET_TOKEN", secret)
    url = server.route(path, (403, {}, f"bad token {secret}"))
    handle = await start(client, task_queue, graph([http_node(
        {"url": url, "headers": {"Authorization": "{{ secrets.TOKEN }}"}})]))
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()

    call = summary_of(caught.value.cause)["nodes"]["call"]
    assert call["error"]["code"] == "http_status"
    assert call["error"]["message"] == f"GET {url} answered 403: bad token ***"
    text = await history_text(handle)
    assert "bad token ***" in text
    assert secret not in text


async def test_missing_secret_is_a_clear_failure(client, task_queue, worker, server, path, monkeypatch):
    monkeypatch.delenv("AGENTIC_SECRET_NOPE", raising=False)
    url = server.route(path, "echo")
    summary = await failed_summary(client, task_queue, graph([http_node(
        {"url": url, "headers": {"Authorization": "{{ secrets.NOPE }}"}})]))
    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "secret_not_set"
    assert "AGENTIC_SECRET_NOPE" in call["error"]["message"]
    assert call["attempts"] == 1
    assert server.hits(path) == []


async def test_secret_echoed_as_a_json_key_is_scrubbed(client, task_queue, worker, server, path, monkeypatch):
    secret = "tok-key-5e8f21"
    monkeypatch.setenv("AGENTIC_SECRET_TOKEN", secret)
    url = server.route(path, (200, {}, {"sessions": {secret: "active"}}))
    handle = await start(client, task_queue, graph([http_node(
        {"url": url, "headers": {"Authorization": "{{ secrets.TOKEN }}"}})]))
    result = await handle.result()

    assert result.nodes["call"].output["body"] == {"sessions": {"***": "active"}}
    text = await history_text(handle)
    assert "active" in text  # the search does see decoded payloads
    assert secret not in text


async def test_redirect_not_followed_by_default(client, task_queue, worker, server, path):
    target = server.route(path + "/target", (200, {}, {"arrived": True}))
    url = server.route(path, (302, {"Location": target}, ""))
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))
    assert summary["nodes"]["call"]["error"]["code"] == "http_status"
    assert summary["nodes"]["call"]["attempts"] == 1
    assert server.hits(path + "/target") == []


async def test_redirect_followed_when_asked(client, task_queue, worker, server, path):
    target = server.route(path + "/target", (200, {}, {"arrived": True}))
    url = server.route(path, (302, {"Location": target}, ""))
    result = await run(client, task_queue, graph([http_node({"url": url, "follow_redirects": True})]))
    assert result.nodes["call"].output["status"] == 200
    assert result.nodes["call"].output["body"] == {"arrived": True}
    assert len(server.hits(path + "/target")) == 1


async def test_redirect_cannot_escape_the_host_allow_list(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"http_allowed_hosts": ["localhost"]}))
    target = server.route(path + "/target", (200, {}, {"arrived": True}))  # host 127.0.0.1: not allowed
    server.route(path, (302, {"Location": target}, ""))
    url = f"http://localhost:{server.port}{path}"
    handle = await start(client, task_queue, graph([http_node({"url": url, "follow_redirects": True})]))
    try:
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        call = summary_of(caught.value.cause)["nodes"]["call"]
        assert call["error"]["code"] == "host_not_allowed"
    finally:
        assert server.hits(path + "/target") == [], "the request reached a host outside the allow-list"


async def test_output_over_node_output_cap_fails(client, task_queue, make_worker, settings, server, path):
    await make_worker(settings.model_copy(update={"node_output_cap_bytes": 2000}))
    url = server.route(path, (200, {}, {"blob": "z" * 5000}))
    summary = await failed_summary(client, task_queue, graph([http_node({"url": url})]))
    call = summary["nodes"]["call"]
    assert call["error"]["code"] == "output_too_large"
    assert call["attempts"] == 1
    assert len(server.hits(path)) == 1


async def test_a_cookie_received_by_one_run_is_not_sent_by_the_next(client, task_queue, worker, server, path):
    """Issue 8 item 5: bob's node got a Set-Cookie; alice's node (another
    execution) calling the same host must not carry it."""
    url = server.route(path, (200, {"Set-Cookie": "session=bobs-session; Path=/"}, {"hello": "bob"}), "echo")
    first = await run(client, task_queue, graph([http_node({"url": url})]))
    assert first.nodes["call"].output["headers"]["set-cookie"].startswith("session=bobs-session")
    second = await run(client, task_queue, graph([http_node({"url": url})]))
    assert "cookie" not in second.nodes["call"].output["body"]["headers"]
    assert ["cookie" in hit.headers for hit in server.hits(path)] == [False, False]


async def test_a_cookie_set_by_a_redirect_is_not_sent_to_the_next_hop(client, task_queue, worker, server, path):
    target = server.route(path + "/target", "echo")
    url = server.route(path, (302, {"Location": target, "Set-Cookie": "session=x; Path=/"}, ""))
    result = await run(client, task_queue, graph([http_node({"url": url, "follow_redirects": True})]))
    assert "cookie" not in result.nodes["call"].output["body"]["headers"]


async def test_a_cookie_header_the_node_sets_is_sent(client, task_queue, worker, server, path):
    url = server.route(path, "echo")
    result = await run(client, task_queue, graph([http_node({"url": url, "headers": {"Cookie": "pref=1"}})]))
    assert result.nodes["call"].output["body"]["headers"]["cookie"] == "pref=1"
