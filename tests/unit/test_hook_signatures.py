"""Webhook signatures (api/hook_signatures.py), GitHub and Stripe styles: the
senders' documented examples verify; a changed body, a wrong secret, a
missing header and (Stripe) a timestamp outside the tolerance do not."""

from __future__ import annotations

import pytest

from api.hook_signatures import BadSignature, github_signature, stripe_signature, verify

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
NOW = 1_700_000_000


def check(style, headers, body=BODY, secret=SECRET, now=NOW, tolerance_s=300):
    verify(style, secret, headers, body, tolerance_s=tolerance_s, clock=lambda: now)


def refused(style, headers, code, **kw):
    with pytest.raises(BadSignature) as err:
        check(style, headers, **kw)
    assert err.value.code == code


def test_github_documented_example_verifies():
    # From GitHub's "Validating webhook deliveries".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature(SECRET, BODY) == expected
    check("github", {"x-hub-signature-256": expected})


def test_github_refusals():
    good = github_signature(SECRET, BODY)
    refused("github", {}, "signature_missing")
    refused("github", {"x-hub-signature-256": good}, "invalid_signature", body=b"Hello, World?")
    refused("github", {"x-hub-signature-256": good}, "invalid_signature", secret="another secret!!")
    refused("github", {"x-hub-signature-256": good.replace("sha256=", "sha1=")}, "invalid_signature")


def test_stripe_signature_verifies_within_tolerance():
    header = stripe_signature(SECRET, BODY, NOW - 299)
    check("stripe", {"stripe-signature": header})
    # A rotation: the sender signs with two secrets; one matching is enough.
    old = stripe_signature("the old secret!!", BODY, NOW).split(",")[1]
    check("stripe", {"stripe-signature": f"{stripe_signature(SECRET, BODY, NOW)},{old}"})


def test_stripe_refusals():
    header = stripe_signature(SECRET, BODY, NOW)
    refused("stripe", {}, "signature_missing")
    refused("stripe", {"stripe-signature": header}, "invalid_signature", body=b"other")
    refused("stripe", {"stripe-signature": header.replace(f"t={NOW}", f"t={NOW + 1}")}, "invalid_signature")
    refused("stripe", {"stripe-signature": f"t={NOW}"}, "invalid_signature")
    refused("stripe", {"stripe-signature": "v1=abc"}, "invalid_signature")
    refused("stripe", {"stripe-signature": stripe_signature(SECRET, BODY, NOW - 301)}, "signature_expired")
    refused("stripe", {"stripe-signature": stripe_signature(SECRET, BODY, NOW + 301)}, "signature_expired")


def test_no_style_needs_nothing_and_a_signed_style_needs_a_secret():
    check("none", {})
    refused("github", {"x-hub-signature-256": github_signature(SECRET, BODY)}, "invalid_signature", secret=None)
