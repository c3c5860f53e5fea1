"""notify by e-mail: one message over SMTP with aiosmtplib. The server's host
is put to the egress policy after DNS (outbound/) and the connection made to
the checked address, TLS verifying the real name. STARTTLS is required unless
the node says `security: none` (the password is never sent in the clear
otherwise). Transient failures (connection, timeouts, 4xx replies) are
retried by Temporal; a refusal (5xx) is not."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib

from activities.base import NodeError
from activities.notify_payloads import plain_text
from outbound import DestinationNotAllowed
from outbound.transport import ResolutionFailed
from workflows.nodes.notify import NotifyConfig


async def send(config: NotifyConfig, deps) -> dict[str, Any]:
    message = _message(config)
    sock = await _connect(config, deps)
    # The hostname is the one TLS verifies; the socket is already connected to the checked address.
    smtp = aiosmtplib.SMTP(hostname=config.smtp_host, sock=sock, timeout=config.timeout_s,
                           use_tls=config.security == "tls", start_tls=False)
    try:
        async with smtp:
            if config.security == "starttls":
                await _start_tls(smtp)
            if config.password is not None or config.username:
                await _login(smtp, config)
            refused, reply = await smtp.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as err:
        raise NodeError("smtp_refused", f"every recipient was refused: {_replies(err.recipients)}",
                        retryable=_transient(err.recipients)) from None
    except aiosmtplib.SMTPResponseException as err:
        raise NodeError("smtp_refused" if err.code >= 500 else "smtp_unavailable",
                        f"the SMTP server answered {err.code}: {err.message[:200]}", retryable=err.code < 500) from None
    except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as err:
        # Connection troubles and timeouts pass: retried.
        raise NodeError("smtp_unavailable", f"sending to {config.smtp_host}:{config.smtp_port} failed: "
                        f"{type(err).__name__}", retryable=True) from None
    return {"channel": "email", "message_id": message["Message-ID"],
            "accepted": [address for address in [*config.to, *config.cc] if address not in refused],
            "refused": sorted(refused), "reply": reply[:200]}


async def _start_tls(smtp: aiosmtplib.SMTP) -> None:
    """Required, not opportunistic: a server that does not offer it gets nothing."""
    await smtp.ehlo()
    if not smtp.supports_extension("starttls"):
        raise NodeError("smtp_tls_unavailable", "the SMTP server does not offer STARTTLS (security: starttls); "
                        "use security: tls for port 465, or none on a trusted network")
    await smtp.starttls()


async def _login(smtp: aiosmtplib.SMTP, config: NotifyConfig) -> None:
    """PLAIN, else LOGIN: one method, so a refused password is answered at once."""
    await smtp._ehlo_or_helo_if_needed()
    methods = {method.lower() for method in smtp.server_auth_methods}
    user, password = config.username or config.sender, config.password or ""
    try:
        if "plain" in methods:
            await smtp.auth_plain(user, password)
        elif "login" in methods:
            await smtp.auth_login(user, password)
        else:
            raise NodeError("smtp_auth_failed", "the SMTP server offers neither AUTH PLAIN nor LOGIN")
    except aiosmtplib.SMTPResponseException as err:
        if err.code < 500:
            raise
        raise NodeError("smtp_auth_failed", f"the SMTP server refused the login ({err.code})") from None


def _message(config: NotifyConfig) -> EmailMessage:
    message = EmailMessage()
    try:
        message["From"] = config.sender
        message["To"] = ", ".join(config.to)
        if config.cc:
            message["Cc"] = ", ".join(config.cc)
        message["Subject"] = config.subject or config.title or "Notification"
    except ValueError as err:  # a header with a line break: refused, never injected
        raise NodeError("invalid_config", f"an e-mail header is invalid: {err}") from None
    message["Message-ID"] = make_msgid(domain="agentic.local")
    message.set_content(plain_text(config))
    if config.html:
        message.add_alternative(config.html, subtype="html")
    return message


async def _connect(config: NotifyConfig, deps) -> socket.socket:
    try:
        addresses = await deps.outbound.tcp_addresses(config.smtp_host, config.smtp_port)
    except DestinationNotAllowed as err:
        raise NodeError("destination_not_allowed", str(err)) from None
    except ResolutionFailed as err:
        raise NodeError("smtp_unavailable", str(err), retryable=True) from None
    loop = asyncio.get_running_loop()
    failure: Exception | None = None
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (str(address), config.smtp_port)), config.timeout_s)
            return sock
        except (OSError, asyncio.TimeoutError) as err:
            sock.close()
            failure = err
    raise NodeError("smtp_unavailable", f"cannot connect to {config.smtp_host}:{config.smtp_port}: "
                    f"{type(failure).__name__}", retryable=True)


def _replies(recipients: list) -> str:
    return "; ".join(f"{err.recipient}: {err.code}" for err in recipients)[:300]


def _transient(recipients: list) -> bool:
    return all(400 <= err.code < 500 for err in recipients)
