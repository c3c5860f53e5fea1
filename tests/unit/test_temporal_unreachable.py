"""core/temporal.py `unreachable`: how the SDK says Temporal cannot be
reached. A lazy client that never connected raises a plain RuntimeError; if an
SDK upgrade changes that, this fails loudly (and the API would answer 500
instead of 503 for such requests)."""

from __future__ import annotations

import socket

import pytest
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from core.temporal import connect, unreachable


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends


async def test_a_lazy_client_that_cannot_connect_is_recognised():
    client = await connect(Settings(temporal_address=f"127.0.0.1:{closed_port()}"), lazy=True)
    with pytest.raises(Exception) as caught:
        await client.count_workflows()
    assert unreachable(caught.value), repr(caught.value)


def test_rpc_errors():
    assert unreachable(RPCError("no server", RPCStatusCode.UNAVAILABLE, b""))
    assert unreachable(RPCError("slow", RPCStatusCode.DEADLINE_EXCEEDED, b""))
    assert not unreachable(RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b""))
    assert not unreachable(RuntimeError("something else"))
