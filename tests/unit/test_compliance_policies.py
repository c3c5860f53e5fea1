"""Policy rules evaluated over a definition and its flows (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from compliance.flows import Flow, flows
from compliance.policies import PolicySpec, builtin_packs, evaluate, host_allowed

SOX = builtin_packs()["builtin:sox"]


def _graph(approval: dict | None, method: str = "POST") -> dict:
    nodes = [{"id": "pay", "type": "http_request", "config": {"method": method, "url": "https://bank.example.com"}}]
    edges = []
    if approval is not None:
        nodes.insert(0, {"id": "gate", "type": "approval", "config": approval})
        edges.append({"from": "gate", "to": "pay"})
    return {"nodes": nodes, "edges": edges}


def _sox(definition: dict, tags=("financial",), author="alice") -> list:
    return evaluate("builtin:sox", SOX, workflow_id="w", definition=definition, tags=list(tags), flows=[],
                    author=author)


def test_sox_wants_an_independent_approval_before_a_side_effect():
    assert [v.node for v in _sox(_graph(None))] == ["pay"]
    assert _sox(_graph({"approvers": ["role:finance"]})) == []
    assert len(_sox(_graph({"approvers": ["alice"]}))) == 1  # the author approves alone
    assert len(_sox(_graph({"approvers": ["user:Alice"]}))) == 1
    assert len(_sox(_graph({"approvers": ["role:finance"], "allow_self_approval": True}))) == 1
    assert _sox(_graph(None, method="GET")) == []  # reads change nothing
    assert _sox(_graph(None), tags=["marketing"]) == []  # only workflows tagged financial


def test_hosts_match_exactly_or_by_wildcard_and_unknown_hosts_never():
    assert host_allowed("api.example.com", ["*.example.com"])
    assert host_allowed("API.example.com.", ["api.example.com"])
    assert not host_allowed("example.com.evil.io", ["*.example.com"])
    assert not host_allowed(None, ["*"])


def test_undeclared_processor_uses_the_flows_entities_and_the_allow_list():
    definition = {"inputs": {"type": "object", "properties": {"patient_email": {"type": "string"}}},
                  "nodes": [{"id": "send", "type": "http_request",
                             "config": {"method": "POST", "url": "https://{{ inputs.host }}/x",
                                        "json": "{{ inputs.patient_email }}"}}]}
    reach = flows(definition)
    assert reach == [Flow(node="send", type="http_request", destination=None, inputs=["host", "patient_email"],
                          upstream=[], entities=["EMAIL_ADDRESS"])]
    spec = PolicySpec.model_validate({"name": "p", "rules": [
        {"kind": "undeclared_processor", "classes": ["gdpr.personal"], "processors": ["*.example.com"]}]})
    [violation] = evaluate("p", spec, workflow_id="w", definition=definition, tags=[], flows=reach)
    assert violation.evidence["destination"] is None  # decided at run time: cannot be declared
    assert violation.fingerprint == evaluate("p", spec, workflow_id="w", definition=definition, tags=[],
                                             flows=reach)[0].fingerprint


def test_a_policy_is_checked_when_read():
    with pytest.raises(ValidationError):
        PolicySpec.model_validate({"name": "p", "rules": [{"kind": "undeclared_processor", "classes": []}]})
    with pytest.raises(ValidationError):
        PolicySpec.model_validate({"name": "p", "rules": [
            {"kind": "phi_to_llm_without_agreement", "covered_endpoints": ["not a host!"]}]})
