"""http_request: one HTTP call. 5xx, 429 and connection errors are retried per
the node's policy; any other unexpected status fails at once. The call goes
through the guarded client (outbound/): internal destinations, the
platform's own included, are refused, every redirect hop as well."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from activities.base import NodeError
from outbound import DestinationNotAllowed
from workflows.nodes.http_request import HttpRequestConfig

MAX_REDIRECTS = 10


def _check_url(raw: str, deps) -> None:
    """Every URL the node reaches, redirect targets included, passes here
    (and then through the guarded transport, which resolves and checks)."""
    url = urlsplit(raw)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise NodeError("invalid_url", f"not an http(s) URL: {raw!r}")
    allowed = deps.settings.http_allowed_hosts
    if allowed is not None and url.hostname not in allowed:
        raise NodeError("host_not_allowed", f"host {url.hostname!r} is not in the allow-list")
    deps.outbound.check_url(raw)


async def run(config: HttpRequestConfig, call, deps) -> dict[str, Any]:
    if config.json_body is not None and config.body is not None:
        raise NodeError("invalid_config", "give 'json' or 'body', not both")
    started = time.perf_counter()
    try:
        _check_url(config.url, deps)
        # A client of its own: nothing (cookies, connections) is shared with another call.
        async with deps.outbound.http_client() as http:
            status, headers, raw = await _send(config, http, deps)
    except DestinationNotAllowed as err:
        raise NodeError("destination_not_allowed", str(err)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeEncodeError) as err:
        # Said without the URL or headers: they may hold a rendered secret.
        raise NodeError("invalid_request", f"the request cannot be sent: {type(err).__name__}") from None
    except httpx.TimeoutException:
        raise NodeError("http_timeout", f"{config.method} {config.url} timed out after {config.timeout_s}s",
                        retryable=True) from None
    except httpx.TransportError as err:
        raise NodeError("http_connection_error", f"{config.method} {config.url}: {err}", retryable=True) from None
    elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
    body = _decode(raw, headers.get("content-type", ""))
    _check_status(config, status, headers, body)
    return {"status": status, "headers": headers, "body": body, "elapsed_ms": elapsed_ms}


async def _send(config: HttpRequestConfig, http: httpx.AsyncClient, deps) -> tuple[int, dict[str, str], bytes]:
    cap = deps.settings.http_response_cap_bytes
    request = http.build_request(
        config.method, config.url, headers=config.headers,
        params={k: str(v).lower() if isinstance(v, bool) else v for k, v in config.query.items()},
        json=config.json_body, content=config.body, timeout=config.timeout_s,
    )
    # Redirects are followed here, not by httpx, so each hop meets the
    # allow-list here and the egress policy in the transport.
    for _ in range(MAX_REDIRECTS + 1):
        response = await http.send(request, stream=True, follow_redirects=False)
        if not (config.follow_redirects and response.next_request is not None):
            break
        await response.aclose()
        request = response.next_request
        _check_url(str(request.url), deps)
    else:
        await response.aclose()
        raise NodeError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects from {config.url}")
    try:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise NodeError("response_too_large", f"response body is over the cap of {cap} bytes")
            chunks.append(chunk)
    finally:
        await response.aclose()
    return response.status_code, dict(response.headers), b"".join(chunks)


def _decode(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type and text.strip():
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _check_status(config: HttpRequestConfig, status: int, headers: dict[str, str], body: Any) -> None:
    ok = status in config.expected_status if config.expected_status else 200 <= status < 300
    if ok:
        return
    snippet = (body if isinstance(body, str) else json.dumps(body))[:300]
    message = f"{config.method} {config.url} answered {status}: {snippet}"
    if status == 429 or status >= 500:
        raise NodeError("http_status_retryable", message, retryable=True,
                        retry_after_s=_retry_after(headers.get("retry-after")))
    raise NodeError("http_status", message)


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 300.0) if value else None
    except ValueError:
        return None  # an HTTP-date: fall back to the node's backoff
