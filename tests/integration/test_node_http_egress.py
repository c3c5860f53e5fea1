"""Issue 8 item 1: a node must not reach the inside. The attack was an
http_request to the Temporal HTTP API (the Web UI's calls) reading another
user's run; here the session's own Temporal dev server is the target."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.graphs import failed_summary, graph, node, run
from tests.integration.local_server import server  # noqa: F401 - the fixture

ONE_ATTEMPT = {"max_attempts": 1}


def call(url: str, **config) -> dict:
    return node("call", "http_request", {"url": url, "timeout_s": 5, **config}, timeout_s=10, retry=ONE_ATTEMPT)


async def refused(client, task_queue, url: str, **config) -> str:
    summary = await failed_summary(client, task_queue, graph([call(url, **config)]))
    error = summary["nodes"]["call"]["error"]
    assert error["code"] == "destination_not_allowed", error
    assert summary["nodes"]["call"]["attempts"] == 1  # refusal is final, not retried
    return error["message"]


@pytest.fixture
def history_api(temporal_http_port) -> str:
    """The live HTTP API of this session's Temporal: reachable from the test
    itself (so a refusal below is the guard's doing, not a dead port)."""
    url = f"http://127.0.0.1:{temporal_http_port}/api/v1/namespaces/default"
    assert httpx.get(url, timeout=10).status_code == 200
    return url


@pytest.mark.parametrize("spelling", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "0177.0.0.1",
                                      "127.1", "[::ffff:127.0.0.1]"])
async def test_temporal_http_api_is_refused_in_every_spelling(
        client, task_queue, worker, history_api, temporal_http_port, spelling):
    # settings allow loopback (development mode): platform ports stay refused.
    message = await refused(client, task_queue, history_api.replace("127.0.0.1", spelling))
    assert f":{temporal_http_port} is not allowed" in message
    assert "one of the platform's own endpoints" in message


async def test_temporal_frontend_and_web_ui_are_refused_with_loopback_allowed(
        client, task_queue, worker, temporal_address, settings):
    message = await refused(client, task_queue, f"http://{temporal_address}/")
    assert message == (f"destination {temporal_address} is not allowed: one of the platform's own endpoints "
                       "(Temporal frontend)")
    message = await refused(client, task_queue, f"{settings.temporal_ui_url}/api/v1/namespaces")
    assert message.endswith("one of the platform's own endpoints (Temporal Web UI)")


async def test_loopback_is_refused_by_default(client, task_queue, make_worker, settings, server):
    await make_worker(settings.model_copy(update={"outbound_allow_loopback": False}))
    url = server.route("/default-refused", (200, {}, {"secret": "inside"}))
    message = await refused(client, task_queue, url)
    assert message == f"destination 127.0.0.1:{server.port} is not allowed: a loopback address"
    message = await refused(client, task_queue, f"http://localhost:{server.port}/default-refused")
    assert message.endswith("it resolves to 127.0.0.1, a loopback address")
    await refused(client, task_queue, f"http://2130706433:{server.port}/default-refused")
    await refused(client, task_queue, f"http://[::ffff:7f00:1]:{server.port}/default-refused")
    assert server.hits("/default-refused") == []


@pytest.mark.parametrize("url, reason", [
    ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("http://[fd00::1]/", "a private (unique local) address"),
    ("http://10.0.0.1/", "a private address"),
    ("http://100.64.0.1/", "a carrier-grade NAT address"),
    ("http://0.0.0.0/", "an unspecified address"),
])
async def test_the_inside_is_refused(client, task_queue, worker, url, reason):
    assert (await refused(client, task_queue, url)).endswith(reason)


async def test_a_redirect_from_an_allowed_server_into_the_inside_is_refused(
        client, task_queue, worker, server, history_api):
    url = server.route("/to-inside", (302, {"Location": f"{history_api}/workflows"}, ""))
    message = await refused(client, task_queue, url, follow_redirects=True)
    assert "one of the platform's own endpoints" in message
    url = server.route("/to-metadata", (307, {"Location": "http://169.254.169.254/latest/"}, ""))
    assert (await refused(client, task_queue, url, follow_redirects=True)).endswith("a link-local address")


async def test_an_operator_allow_entry_opens_a_host_but_not_the_platform(
        client, task_queue, make_worker, settings, server, history_api):
    await make_worker(settings.model_copy(update={"outbound_allow_loopback": False,
                                                  "outbound_allow": ["127.0.0.1"]}))
    url = server.route("/opened", (200, {}, {"ok": True}))
    result = await run(client, task_queue, graph([call(url)]))
    assert result.nodes["call"].output["body"] == {"ok": True}
    assert "one of the platform's own endpoints" in await refused(client, task_queue, history_api)
