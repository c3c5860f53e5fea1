"""notify: a webhook post (through the guarded client: egress policy, no
redirects followed) or an e-mail (activities/notify_email.py). 5xx, 429 and
connection errors are retried per the node's policy; other statuses fail at
once. The output names neither the URL nor any credential."""

from __future__ import annotations

from typing import Any

import httpx

from activities.base import NodeError
from activities.notify_email import send
from activities.notify_payloads import payload
from outbound import DestinationNotAllowed
from workflows.nodes.notify import NotifyConfig

REPLY_CHARS = 500


async def run(config: NotifyConfig, call, deps) -> dict[str, Any]:
    if config.channel == "email":
        return await send(config, deps)
    return await _post(config, deps)


async def _post(config: NotifyConfig, deps) -> dict[str, Any]:
    url = config.url or ""
    if not url.startswith(("http://", "https://")):
        raise NodeError("invalid_url", "the webhook URL must be http(s)")  # never quoted: it may be a secret
    try:
        deps.outbound.check_url(url)
        async with deps.outbound.http_client() as http:
            response = await http.post(url, json=payload(config), headers=config.headers, timeout=config.timeout_s)
    except DestinationNotAllowed as err:
        raise NodeError("destination_not_allowed", str(err)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeEncodeError) as err:
        raise NodeError("invalid_request", f"the webhook cannot be called: {type(err).__name__}") from None
    except httpx.TimeoutException:
        raise NodeError("webhook_timeout", f"the webhook did not answer within {config.timeout_s}s",
                        retryable=True) from None
    except httpx.TransportError as err:
        raise NodeError("webhook_unavailable", f"the webhook is unreachable: {type(err).__name__}",
                        retryable=True) from None
    reply = response.text[:REPLY_CHARS]
    if response.status_code == 429 or response.status_code >= 500:
        raise NodeError("webhook_status_retryable", f"the webhook answered {response.status_code}: {reply}",
                        retryable=True)
    if not 200 <= response.status_code < 300:
        raise NodeError("webhook_status", f"the webhook answered {response.status_code}: {reply}")
    return {"channel": "webhook", "format": config.format, "status": response.status_code, "reply": reply}
