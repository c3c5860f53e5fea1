"""A threaded HTTP server on 127.0.0.1 with scripted answers, for the tests
whose nodes (or webhooks, or the CLI) make real HTTP calls."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


class LocalServer:
    """A threaded HTTP server with scripted responses per path (the last one repeats).
    A response is (status, headers, body) with body bytes, str or a JSON value, or
    the string "echo" to answer with what the request carried, or ("sleep", seconds,
    response) to answer late."""

    def __init__(self) -> None:
        self.routes: dict[str, list] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with outer.lock:
                    outer.seen.append(seen)
                    script = outer.routes.get(parts.path)
                    if not script:
                        reply = (404, {}, {"error": "no route"})
                    else:
                        reply = script.pop(0) if len(script) > 1 else script[0]
                if isinstance(reply, tuple) and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = reply[2]
                if reply == "echo":
                    reply = (200, {}, {"method": seen.method, "path": seen.path, "query": seen.query,
                                       "headers": seen.headers, "body": body.decode()})
                status, headers, payload = reply
                headers = dict(headers)
                if isinstance(payload, bytes):
                    data = payload
                elif isinstance(payload, str):
                    data = payload.encode()
                    headers.setdefault("Content-Type", "text/plain; charset=utf-8")
                else:
                    data = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies) -> str:
        with self.lock:
            self.routes[path] = list(replies)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]


@pytest.fixture(scope="module")
def server():
    srv = LocalServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
