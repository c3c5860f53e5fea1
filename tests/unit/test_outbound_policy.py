"""The egress policy (outbound/policy.py) and the guard's decisions, with a
scripted resolver where names are involved (and the system's for localhost)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from api.settings import ApiSettings
from core.settings import Settings
from outbound import DestinationNotAllowed, Outbound
from outbound.client import platform_endpoints, policy_from_settings
from outbound.policy import address_refusal, parse_ip_literal
from outbound.transport import Guard

PLATFORM = Settings(temporal_address="127.0.0.1:7233", temporal_ui_url="http://127.0.0.1:8233",
                    database_url="postgresql+asyncpg://agentic:pw-in-url@127.0.0.1:5432/agentic",
                    public_api_url="http://127.0.0.1:8000")


def guard(settings: Settings = PLATFORM, names: dict[str, list[str]] | None = None, **update) -> Guard:
    names = names or {}

    async def resolve(host: str, port: int):
        return [ip_address(a) for a in names[host]]

    return Guard(policy_from_settings(settings.model_copy(update=update)), resolve if names else None)


async def refusal(g: Guard, host: str, port: int = 80) -> str | None:
    try:
        await g.addresses(host, port)
    except DestinationNotAllowed as err:
        return str(err)
    return None


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "a loopback address"), ("127.255.255.254", "a loopback address"),
    ("10.0.0.1", "a private address"), ("10.255.255.255", "a private address"),
    ("172.16.0.1", "a private address"), ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("100.64.0.1", "a carrier-grade NAT address"), ("100.127.255.254", "a carrier-grade NAT address"),
    ("169.254.169.254", "a link-local address"), ("169.254.0.1", "a link-local address"),
    ("224.0.0.1", "a multicast address"), ("239.255.255.250", "a multicast address"),
    ("0.0.0.0", "an unspecified address"), ("0.1.2.3", "an unspecified address"),
    ("255.255.255.255", "the broadcast address"), ("240.0.0.1", "a reserved address"),
    ("192.0.2.10", "not a public address"), ("198.18.0.1", "not a public address"),
    ("::1", "a loopback address"), ("::", "an unspecified address"),
    ("fc00::1", "a private (unique local) address"), ("fd12:3456::1", "a private (unique local) address"),
    ("fe80::1", "a link-local address"), ("fec0::1", "a site-local address"), ("ff02::1", "a multicast address"),
    ("2001:db8::1", "not a public address"), ("64:ff9b:1::a", "a local-use NAT64 address"),
    # IPv6 forms carrying an IPv4 address are judged by it
    ("::ffff:127.0.0.1", "a loopback address"), ("::ffff:10.1.2.3", "a private address"),
    ("::ffff:169.254.169.254", "a link-local address"), ("::ffff:0:127.0.0.1", "a loopback address"),
    ("::127.0.0.1", "a loopback address"), ("64:ff9b::7f00:1", "a loopback address"),
    ("64:ff9b::a9fe:a9fe", "a link-local address"), ("2002:7f00:1::1", "a loopback address"),
    ("2002:c0a8:101::1", "a private address"),
])
def test_internal_addresses_are_refused_with_their_reason(address, reason):
    assert address_refusal(ip_address(address)) == reason


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "11.0.0.1",
    "192.169.0.1", "2606:4700:4700::1111", "2a00:1450:4001:81c::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
    "2002:808:808::1",
])
def test_public_addresses_pass(address):
    assert address_refusal(ip_address(address)) is None


@pytest.mark.parametrize("host, meaning", [
    ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"), ("0X7F.0.0.01", "127.0.0.1"), ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("2852039166", "169.254.169.254"), ("10.1", "10.0.0.1"), ("0", "0.0.0.0"),
    ("8.8.8.8", "8.8.8.8"), ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
])
def test_numeric_hosts_mean_the_address_a_resolver_would_make_of_them(host, meaning):
    assert parse_ip_literal(host) == ip_address(meaning)


@pytest.mark.parametrize("host", ["example.com", "1.2.3.4.5", "08.0.0.1", "4294967296", "0x", "256.1.1.1",
                                  "127.0.0.1.nip.io", "localhost", "1.2.3.4x", ""])
def test_names_and_impossible_numbers_are_not_addresses(host):
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "::1",
                                  "::ffff:127.0.0.1", "0.0.0.0", "169.254.169.254", "0xa9fea9fe", "10.0.0.5"])
async def test_numeric_forms_are_refused_without_any_lookup(host):
    message = await refusal(guard(), host, 8080)
    assert message is not None and message.startswith("destination ")


async def test_a_name_that_resolves_to_loopback_is_refused():
    message = await refusal(guard(), "localhost", 8080)  # the system's resolver, /etc/hosts
    assert message == "destination localhost:8080 is not allowed: it resolves to 127.0.0.1, a loopback address"


async def test_every_resolved_address_is_checked():
    g = guard(names={"two-faced.test": ["93.184.216.34", "10.0.0.1"]})
    message = await refusal(g, "two-faced.test", 443)
    assert message == "destination two-faced.test:443 is not allowed: it resolves to 10.0.0.1, a private address"


async def test_a_public_name_passes_with_all_its_addresses():
    g = guard(names={"public.test": ["93.184.216.34", "2606:2800:220:1::1"]})
    assert [str(a) for a in await g.addresses("public.test", 443)] == ["93.184.216.34", "2606:2800:220:1::1"]


@pytest.mark.parametrize("host, port, label", [
    ("127.0.0.1", 7233, "Temporal frontend"), ("127.0.0.1", 8233, "Temporal Web UI"),
    ("127.0.0.1", 5432, "PostgreSQL"), ("127.0.0.1", 8000, "the API"),
    # any loopback spelling reaches a listener on 127.0.0.1 / 0.0.0.0
    ("127.0.0.2", 8233, "Temporal Web UI"), ("::1", 8233, "Temporal Web UI"),
    ("::ffff:127.0.0.1", 7233, "Temporal frontend"), ("2130706433", 8233, "Temporal Web UI"),
    ("0x7f.1", 7233, "Temporal frontend"), ("0.0.0.0", 8000, "the API"), ("localhost", 5432, "PostgreSQL"),
])
async def test_platform_ports_are_refused_in_development_mode(host, port, label):
    g = guard(outbound_allow_loopback=True)
    message = await refusal(g, host, port)
    assert message is not None and f"one of the platform's own endpoints ({label})" in message
    assert "pw-in-url" not in message


async def test_development_mode_lets_other_loopback_ports_through():
    g = guard(outbound_allow_loopback=True)
    assert await refusal(g, "127.0.0.1", 9999) is None
    assert await refusal(g, "localhost", 9999) is None
    assert await refusal(g, "::1", 9999) is None
    # loopback only: the rest of the inside stays refused
    assert "a private address" in await refusal(g, "192.168.0.10", 9999)
    assert "a link-local address" in await refusal(g, "169.254.169.254", 80)


async def test_the_allow_list_opens_names_and_networks_but_never_platform_ports():
    g = guard(outbound_allow=["10.0.0.0/8", "internal.corp.test", "*.svc.test", "127.0.0.1"],
              names={"internal.corp.test": ["172.20.0.9"], "a.svc.test": ["192.168.9.9"],
                     "svc.test": ["192.168.9.9"], "evilsvc.test": ["192.168.9.9"]})
    assert await refusal(g, "10.20.30.40", 80) is None
    assert await refusal(g, "::ffff:10.20.30.40", 80) is None
    assert await refusal(g, "internal.corp.test", 80) is None
    assert await refusal(g, "a.svc.test", 80) is None
    assert "a private address" in await refusal(g, "svc.test", 80)  # '*.x' is subdomains only
    assert "a private address" in await refusal(g, "evilsvc.test", 80)
    assert await refusal(g, "127.0.0.1", 9999) is None
    assert "Temporal Web UI" in await refusal(g, "127.0.0.1", 8233)


async def test_platform_names_are_resolved_so_an_allowed_range_does_not_open_them():
    settings = PLATFORM.model_copy(update={"temporal_address": "temporal.internal:7233",
                                           "outbound_allow": ["10.0.0.0/8"]})
    g = guard(settings, names={"temporal.internal": ["10.0.0.7"], "other.name": ["10.0.0.7"]})
    assert "Temporal frontend" in await refusal(g, "other.name", 7233)
    assert "Temporal frontend" in await refusal(g, "10.0.0.7", 7233)
    assert "Temporal frontend" in await refusal(g, "temporal.internal", 7233)
    assert await refusal(g, "10.0.0.7", 8080) is None


def test_platform_endpoints_come_from_settings():
    settings = ApiSettings(temporal_address="[::1]:7000", temporal_ui_url="https://ui.example",
                           database_url="postgresql+asyncpg://u:secret@db.internal/x",
                           public_api_url="https://agentic.example/", api_host="0.0.0.0", api_port=8100,
                           outbound_deny=["127.0.0.1:7243", "metrics.internal:9090"])
    found = {(e.host, e.port, e.label) for e in platform_endpoints(settings)}
    assert found == {("::1", 7000, "Temporal frontend"), ("ui.example", 443, "Temporal Web UI"),
                     ("db.internal", 5432, "PostgreSQL"), ("agentic.example", 443, "the API"),
                     ("0.0.0.0", 8100, "the API"),
                     ("127.0.0.1", 7243, "refused by AGENTIC_OUTBOUND_DENY"),
                     ("metrics.internal", 9090, "refused by AGENTIC_OUTBOUND_DENY")}


def test_the_worker_metrics_endpoint_is_refused_to_nodes():
    settings = Settings(worker_metrics_address="10.1.2.3:9464")
    assert ("10.1.2.3", 9464, "the worker's metrics") in {(e.host, e.port, e.label)
                                                            for e in platform_endpoints(settings)}


def test_an_embedded_database_on_a_unix_socket_has_no_tcp_endpoint():
    settings = Settings(database_url="postgresql+asyncpg://postgres@/postgres?host=/data/pg")
    assert "PostgreSQL" not in {e.label for e in platform_endpoints(settings)}


def test_production_refuses_the_loopback_allowance():
    with pytest.raises(ValueError, match="production refuses it"):
        Outbound(Settings(environment="production", outbound_allow_loopback=True))
    Outbound(Settings(environment="production"))  # without it: fine


@pytest.mark.parametrize("entry", ["http://x.example", "10.0.0.0/33", "a b", "*.", "x.example:80"])
def test_a_malformed_allow_entry_stops_the_start(entry):
    with pytest.raises(ValueError, match="AGENTIC_OUTBOUND_ALLOW entry"):
        Outbound(Settings(outbound_allow=[entry]))


def test_a_malformed_deny_entry_stops_the_start():
    with pytest.raises(ValueError, match="AGENTIC_OUTBOUND_DENY entry"):
        Outbound(Settings(outbound_deny=["no-port-here"]))


# Issue 10.9: what a version being saved is told, without DNS.

def static(host: str, port: int = 80, **update) -> str | None:
    return policy_from_settings(PLATFORM.model_copy(update=update)).static_refusal(host, port)


@pytest.mark.parametrize("host, reason", [
    ("127.0.0.1", "a loopback address"), ("[::1]", "a loopback address"), ("::1", "a loopback address"),
    ("10.1.2.3", "a private address"), ("169.254.169.254", "a link-local address"),
    ("0x7f.1", "it resolves to 127.0.0.1, a loopback address"),
    ("::ffff:10.0.0.1", "it resolves to 10.0.0.1, a private address"),
    ("localhost", "it resolves to 127.0.0.1, a loopback address"),
    ("LocalHost.", "it resolves to 127.0.0.1, a loopback address"),
    ("api.localhost", "it resolves to 127.0.0.1, a loopback address"),
    ("ip6-localhost", "it resolves to ::1, a loopback address"),
    ("metadata.google.internal", "it resolves to 169.254.169.254, a link-local address"),
])
def test_literal_internal_hosts_are_refused_without_dns(host, reason):
    assert static(host) == reason


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "2001:4860:4860::8888", "localhost.example.com",
                                  "internal.corp"])
def test_names_dns_would_decide_are_not_refused_early(host):
    assert static(host) is None


def test_the_static_check_follows_the_operators_decisions():
    assert static("127.0.0.1", outbound_allow_loopback=True) is None
    assert static("localhost", outbound_allow_loopback=True) is None
    assert static("10.1.2.3", outbound_allow=["10.0.0.0/8"]) is None
    assert static("localhost", outbound_allow=["localhost"]) is None
    # The platform's own ports stay refused whatever is allowed, by address and by name.
    assert static("127.0.0.1", 7233, outbound_allow_loopback=True) == \
        "one of the platform's own endpoints (Temporal frontend)"
    assert static("localhost", 5432, outbound_allow_loopback=True) == \
        "it resolves to 127.0.0.1, one of the platform's own endpoints (PostgreSQL)"
    named = PLATFORM.model_copy(update={"temporal_address": "temporal:7233"})
    assert policy_from_settings(named).static_refusal("Temporal", 7233) == \
        "one of the platform's own endpoints (Temporal frontend)"


def test_a_bad_egress_setting_stops_the_api_start_too(tmp_path):
    """The API judges saved URLs by the policy: a setting it cannot build
    stops the start (as it stops the worker's) instead of failing every save."""
    from api.app import create_app

    settings = ApiSettings(database_url="postgresql://unused@127.0.0.1/unused", data_dir=str(tmp_path),
                           jwt_secret="current-key-" + "k" * 40, outbound_allow=["10.0.0.0/33"])
    with pytest.raises(ValueError, match="AGENTIC_OUTBOUND_ALLOW entry"):
        create_app(settings)
