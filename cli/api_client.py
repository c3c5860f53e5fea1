"""The CLI's HTTP client of a platform API: where it is, how it authenticates,
and the API's one error shape turned into `ApiFailure`."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from cli import credentials
from cli.inputs import UsageError

TIMEOUT_S = 30.0
# The API's path ids (api/schemas/common.py ResourceId): checked here too, so a
# user-typed id can never turn into another path ("..", "/").
RESOURCE_ID = re.compile(r"^[A-Za-z0-9_:-]{1,64}$")


class ApiFailure(Exception):
    """An answer the API refused (its error body) or no answer at all."""

    def __init__(self, code: str, message: str, status: int | None = None, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.details = code, message, status, details

    @property
    def exit_code(self) -> int:
        """2 for a request the API refused (4xx: fix the request), 1 otherwise."""
        return 2 if self.status is not None and 400 <= self.status < 500 else 1


def base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not an http(s) URL of the API, e.g. http://127.0.0.1:8000")
    return url.strip().rstrip("/")


def resource_id(value: str, what: str) -> str:
    if not RESOURCE_ID.match(value):
        raise UsageError(f"{value!r} is not a valid {what} id")
    return value


class ApiClient:
    def __init__(self, url: str, token: str | None, *, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # No cookie jar, no proxies from the environment's netrc: only the token authenticates.
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout_s, trust_env=False,
                                  follow_redirects=False)

    @classmethod
    def from_options(cls, url: str | None, api_key: str | None) -> ApiClient:
        """--url / AGENTIC_URL, else the logged-in URL; --api-key /
        AGENTIC_API_KEY, else the stored token, which is sent only to the URL it
        was issued by."""
        stored = credentials.load()
        chosen = url or os.environ.get("AGENTIC_URL") or (stored.url if stored else None)
        if not chosen:
            raise UsageError("no API to talk to: `agentic login --url URL` first, or pass --url (or AGENTIC_URL)")
        chosen = base_url(chosen)
        key = api_key or os.environ.get("AGENTIC_API_KEY")
        token = key or (stored.token if stored and base_url(stored.url) == chosen else None)
        if not token:
            raise UsageError(f"not logged in to {chosen}: `agentic login --url {chosen}`, or pass --api-key "
                             "(or AGENTIC_API_KEY)")
        return cls(chosen, token)

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise ApiFailure("unreachable", f"cannot reach {self.url}: {err}") from None
        if response.status_code >= 400:
            raise _failure(response)
        if response.status_code >= 300:
            raise ApiFailure(f"http_{response.status_code}", f"unexpected redirect to "
                             f"{response.headers.get('location')!r}; is {self.url} the API?", response.status_code)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiFailure("not_the_api", f"{self.url} answered {method} {path} with something that is not "
                             "JSON; is it the platform's API?", response.status_code) from None


def _failure(response: httpx.Response) -> ApiFailure:
    """The API's {"error": {"code", "message", "details"}}; anything else (a
    proxy's page) by its status."""
    try:
        error = response.json()["error"]
        return ApiFailure(str(error["code"]), str(error["message"]), response.status_code, error.get("details"))
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
        return ApiFailure(f"http_{response.status_code}", text, response.status_code)
