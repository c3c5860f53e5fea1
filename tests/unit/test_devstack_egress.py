"""`make run`'s egress settings (cli/devstack.py): loopback allowed only in
development, and the dev server's extra ports known to the policy."""

from __future__ import annotations

import json

from cli.devstack import (
    TEMPORAL_HTTP_PORT, TEMPORAL_METRICS_PORT, TEMPORAL_UI_INNER_PORT, _egress_env, _loopback_allowed,
)
from core.settings import Settings
from outbound.client import platform_endpoints


def test_development_allows_loopback_and_denies_the_stacks_extra_ports():
    env = {"AGENTIC_OUTBOUND_DENY": '["10.0.0.5:9000"]'}
    inner = [TEMPORAL_HTTP_PORT, TEMPORAL_METRICS_PORT, TEMPORAL_UI_INNER_PORT]
    _egress_env(env, 8100, inner)
    assert _loopback_allowed(env)
    assert json.loads(env["AGENTIC_OUTBOUND_DENY"]) == ["10.0.0.5:9000", *(f"127.0.0.1:{p}" for p in inner)]
    assert env["AGENTIC_PUBLIC_API_URL"] == "http://127.0.0.1:8100"
    settings = Settings(outbound_deny=json.loads(env["AGENTIC_OUTBOUND_DENY"]),
                        public_api_url=env["AGENTIC_PUBLIC_API_URL"])
    ports = {e.port for e in platform_endpoints(settings)}
    assert {7233, 8233, 8100, *inner} <= ports


def test_production_gets_no_loopback_allowance():
    env = {"AGENTIC_ENVIRONMENT": "production"}
    _egress_env(env, 8000, [])
    assert not _loopback_allowed(env)


def test_an_explicit_choice_is_kept():
    env = {"AGENTIC_OUTBOUND_ALLOW_LOOPBACK": "false"}
    _egress_env(env, 8000, [])
    assert not _loopback_allowed(env)
