"""The guarded transport: resolves once, connects to the address it checked
(DNS rebinding cannot swap it), keeps the Host header and verifies TLS
against the real name. Scripted resolvers stand in for DNS; the servers
are real sockets on 127.0.0.1."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import httpx
import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.settings import Settings
from outbound import DestinationNotAllowed, Outbound
from outbound.client import policy_from_settings
from outbound.transport import Guard, GuardedTransport, guarded_httpx2_transport_class


class Rebinding:
    """A resolver that answers a public address first and loopback after:
    the classic rebinding attack on check-then-connect."""

    def __init__(self, *answers: list[str]):
        self.answers = [list(a) for a in answers]
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int):
        self.calls.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [ip_address(a) for a in answer]


def recorder(library):
    seen = []

    def handler(request):
        seen.append(request)
        return library.Response(200, text="ok")

    return seen, library.MockTransport(handler)


@pytest.mark.parametrize("library, transport_class", [
    (httpx, GuardedTransport), (httpx2, guarded_httpx2_transport_class())])
async def test_the_connection_goes_to_the_checked_address_not_to_a_second_lookup(library, transport_class):
    resolver = Rebinding(["93.184.216.34"], ["127.0.0.1"])
    seen, inner = recorder(library)
    guard = Guard(policy_from_settings(Settings()), resolver)
    async with library.AsyncClient(transport=transport_class(guard, inner)) as client:
        response = await client.get("https://rebind.test/path?q=1")
        assert response.status_code == 200
        assert str(response.request.url) == "https://rebind.test/path?q=1"  # what the caller sees
        with pytest.raises(DestinationNotAllowed, match="it resolves to 127.0.0.1, a loopback address"):
            await client.get("https://rebind.test/path?q=1")

    assert resolver.calls == ["rebind.test", "rebind.test"]  # once per request, never again to connect
    (sent,) = seen  # the second request never reached the network
    assert sent.url.host == "93.184.216.34"
    assert sent.url.raw_path == b"/path?q=1"
    assert sent.headers["host"] == "rebind.test"
    assert sent.extensions["sni_hostname"] == "rebind.test"


async def test_each_redirect_hop_is_resolved_and_checked_again():
    resolver = Rebinding(["93.184.216.34"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    guard = Guard(policy_from_settings(Settings()), resolver)
    async with httpx.AsyncClient(transport=GuardedTransport(guard, httpx.MockTransport(handler)),
                                 follow_redirects=True) as client:
        with pytest.raises(DestinationNotAllowed, match="169.254.169.254:80 is not allowed: a link-local"):
            await client.get("http://public.test/")


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(context: ssl.SSLContext | None = None) -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def plain_port():
    yield from serve()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for `service.test` only (not for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "service.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("service.test")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_port(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    yield from serve(context)


def outbound(resolver, certificate=None) -> Outbound:
    context = ssl.create_default_context(cafile=str(certificate[0])) if certificate else None
    return Outbound(Settings(outbound_allow_loopback=True), resolver=resolver, ssl_context=context)


async def test_a_real_connection_reaches_the_checked_address_with_the_real_host_header(plain_port):
    # `service.test` exists only in the scripted resolver: the system never resolves it.
    out = outbound(Rebinding(["127.0.0.1"]))
    async with out.http_client() as client:
        response = await client.get(f"http://service.test:{plain_port}/")
    assert response.text == f"host=service.test:{plain_port}"


async def test_tls_is_verified_against_the_name_not_the_address(tls_port, certificate):
    out = outbound(Rebinding(["127.0.0.1"]), certificate)
    async with out.http_client() as client:
        response = await client.get(f"https://service.test:{tls_port}/")
        assert response.text == f"host=service.test:{tls_port}"
        # Verification is on: the certificate is not valid for the bare address.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            await client.get(f"https://127.0.0.1:{tls_port}/")


async def test_tls_through_the_openai_stack_too(tls_port, certificate):
    out = outbound(Rebinding(["127.0.0.1"]), certificate)
    async with out.httpx2_client() as client:
        response = await client.get(f"https://service.test:{tls_port}/")
    assert response.text == f"host=service.test:{tls_port}"


async def test_an_address_that_does_not_answer_falls_back_to_the_next_checked_one(plain_port):
    # ::1 (or an unreachable IPv6) first, as getaddrinfo may order them; only 127.0.0.1 listens.
    out = outbound(Rebinding(["::1", "127.0.0.1"]))
    async with out.http_client() as client:
        response = await client.get(f"http://service.test:{plain_port}/")
    assert response.status_code == 200


async def test_an_unresolvable_name_is_a_connection_error():
    async def nothing(host, port):
        from outbound.transport import ResolutionFailed
        raise ResolutionFailed(f"cannot resolve {host!r}")

    out = outbound(nothing)
    async with out.http_client() as client:
        with pytest.raises(httpx.ConnectError, match="cannot resolve 'nowhere.test'"):
            await client.get("http://nowhere.test/")


async def test_proxy_variables_cannot_route_around_the_guard(monkeypatch, plain_port):
    # A proxy on loopback would be a way past the check of the real destination.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{plain_port}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{plain_port}")
    out = Outbound(Settings())
    async with out.http_client() as client:
        with pytest.raises(DestinationNotAllowed, match="a private address"):
            await client.get("http://10.1.2.3/")


async def test_a_slow_lookup_counts_against_the_connect_timeout():
    import asyncio

    async def slow(host, port):
        await asyncio.sleep(30)

    out = outbound(slow)
    async with out.http_client(timeout=httpx.Timeout(5, connect=0.05)) as client:
        with pytest.raises(httpx.ConnectTimeout, match="resolving 'slow.test'"):
            await client.get("http://slow.test/")
