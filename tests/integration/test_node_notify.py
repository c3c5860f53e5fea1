"""The notify node against local stand-ins: a scripted HTTP server for the
webhooks (Slack- and Teams-shaped bodies) and an aiosmtpd SMTP server that
can refuse, for retries. No secret reaches a message or the history."""

from __future__ import annotations

import json
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from cli.devserver import free_port
from tests.integration.graphs import failed_summary, graph, history_text, node, run, start
from tests.integration.local_server import server  # noqa: F401 - the fixture

FAST_RETRY = {"max_attempts": 3, "initial_interval_s": 0.1, "backoff": 1.0}
SMTP_PASSWORD = "smtp-password-never-shown"


class Mailbox:
    """An SMTP handler: answers the scripted replies to DATA first, then accepts."""

    def __init__(self) -> None:
        self.messages: list = []
        self.data_replies: list[str] = []
        self.refuse_rcpt: set[str] = set()
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"


def _authenticator(mailbox: Mailbox):
    from aiosmtpd.smtp import AuthResult

    def check(server, session, envelope, mechanism, auth_data):
        mailbox.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode(), handled=False)

    return check


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, authenticator=_authenticator(mailbox),
                            auth_require_tls=False)
    controller.start()
    yield mailbox
    controller.stop()


def email_node(mailbox, **config) -> dict:
    return node("mail", "notify", {"channel": "email", "smtp_host": "127.0.0.1", "smtp_port": mailbox.port,
                                   "security": "none", "from": "bot@example.com", "to": ["ops@example.com"],
                                   "title": "Deploy done", "text": "All {{ inputs.n }} checks passed",
                                   "fields": {"version": "1.2.3"}, **config}, retry=FAST_RETRY)


async def test_email_is_delivered(client, task_queue, worker, smtp, monkeypatch):
    monkeypatch.setenv("AGENTIC_SECRET_SMTP_PASSWORD", SMTP_PASSWORD)
    handle = await start(client, task_queue, graph([email_node(
        smtp, username="bot", password="{{ secrets.SMTP_PASSWORD }}", cc=["lead@example.com"])]), {"n": 7})
    result = await handle.result()
    output = result.nodes["mail"].output
    assert output["channel"] == "email" and output["accepted"] == ["ops@example.com", "lead@example.com"]
    [(sender, recipients, message)] = smtp.messages
    assert sender == "bot@example.com" and recipients == ["ops@example.com", "lead@example.com"]
    assert message["Subject"] == "Deploy done"
    assert message.get_payload(decode=True).decode().splitlines() == ["All 7 checks passed", "", "version: 1.2.3"]
    assert smtp.logins == [(b"bot", SMTP_PASSWORD.encode())]
    assert SMTP_PASSWORD not in await history_text(handle)


async def test_a_transient_smtp_failure_is_retried(client, task_queue, worker, smtp):
    smtp.data_replies = ["451 4.3.0 try again later"]
    result = await run(client, task_queue, graph([email_node(smtp)]), {"n": 1})
    assert result.nodes["mail"].attempts == 2
    assert len(smtp.messages) == 1


async def test_smtp_that_keeps_failing_fails_after_the_retries(client, task_queue, worker, smtp):
    smtp.data_replies = ["451 4.3.0 busy"] * 5
    summary = await failed_summary(client, task_queue, graph([email_node(smtp)]), {"n": 1})
    state = summary["nodes"]["mail"]
    assert state["attempts"] == 3 and state["error"]["code"] == "smtp_unavailable"
    assert smtp.messages == []


async def test_a_refused_recipient_is_not_retried(client, task_queue, worker, smtp):
    smtp.refuse_rcpt = {"ops@example.com"}
    summary = await failed_summary(client, task_queue, graph([email_node(smtp)]), {"n": 1})
    state = summary["nodes"]["mail"]
    assert state["attempts"] == 1 and state["error"]["code"] == "smtp_refused"
    assert "ops@example.com: 550" in state["error"]["message"]


async def test_a_wrong_smtp_password_fails_without_showing_it(client, task_queue, worker, smtp, monkeypatch):
    monkeypatch.setenv("AGENTIC_SECRET_SMTP_PASSWORD", "wrong-password-value")
    handle = await start(client, task_queue, graph([email_node(smtp, username="bot",
                                                               password="{{ secrets.SMTP_PASSWORD }}")]), {"n": 1})
    with pytest.raises(Exception):
        await handle.result()
    text = await history_text(handle)
    assert "smtp_auth_failed" in text and "wrong-password-value" not in text
    assert len(smtp.logins) == 1  # refused: not retried


async def test_starttls_is_required_by_default(client, task_queue, worker, smtp):
    summary = await failed_summary(client, task_queue, graph([email_node(smtp, security="starttls")]), {"n": 1})
    state = summary["nodes"]["mail"]
    assert state["error"]["code"] == "smtp_tls_unavailable" and state["attempts"] == 1
    assert smtp.messages == []


async def test_smtp_to_the_platform_is_refused(client, task_queue, worker, temporal_address, smtp):
    host, port = temporal_address.rsplit(":", 1)
    summary = await failed_summary(client, task_queue, graph([email_node(smtp, smtp_host=host, smtp_port=int(port))]),
                                   {"n": 1})
    assert summary["nodes"]["mail"]["error"]["code"] == "destination_not_allowed"


def webhook_node(url: str, **config) -> dict:
    return node("hook", "notify", {"channel": "webhook", "url": url, "title": "Build failed",
                                   "text": "*main* is red", "fields": {"commit": "abc123", "tests": 3}, **config},
                retry=FAST_RETRY)


async def test_slack_payload_shape(client, task_queue, worker, server):
    url = server.route("/slack", (200, {}, "ok"))
    result = await run(client, task_queue, graph([webhook_node(url, format="slack")]))
    assert result.nodes["hook"].output == {"channel": "webhook", "format": "slack", "status": 200, "reply": "ok"}
    [seen] = server.hits("/slack")
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {
        "text": "Build failed: *main* is red",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Build failed"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*main* is red"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*commit*\nabc123"},
                                           {"type": "mrkdwn", "text": "*tests*\n3"}]},
        ]}


async def test_teams_payload_is_an_adaptive_card(client, task_queue, worker, server):
    url = server.route("/teams", (202, {}, ""))
    await run(client, task_queue, graph([webhook_node(url, format="teams")]))
    body = json.loads(server.hits("/teams")[0].body)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == "Build failed"
    assert card["body"][2] == {"type": "FactSet", "facts": [{"title": "commit", "value": "abc123"},
                                                            {"title": "tests", "value": "3"}]}


async def test_generic_json_and_a_secret_webhook_url(client, task_queue, worker, server, monkeypatch):
    url = server.route("/generic-secret-path", (500, {}, "down"), (200, {}, {"ok": True}))
    monkeypatch.setenv("AGENTIC_SECRET_HOOK_URL", url)
    handle = await start(client, task_queue, graph([webhook_node("{{ secrets.HOOK_URL }}",
                                                                 payload={"event": "{{ inputs.event }}"})]),
                         {"event": "deployed"})
    result = await handle.result()
    assert result.nodes["hook"].attempts == 2  # the 500 was retried
    assert [json.loads(seen.body) for seen in server.hits("/generic-secret-path")] == [{"event": "deployed"}] * 2
    assert "generic-secret-path" not in await history_text(handle)


async def test_a_client_error_of_the_webhook_is_not_retried(client, task_queue, worker, server):
    url = server.route("/gone", (404, {}, "no such hook"))
    summary = await failed_summary(client, task_queue, graph([webhook_node(url)]))
    state = summary["nodes"]["hook"]
    assert state["attempts"] == 1 and state["error"] == {"code": "webhook_status",
                                                         "message": "the webhook answered 404: no such hook"}
