"""Policies as data (built-in packs read-only, custom ones owned) and the
violations a workflow scan records, acknowledged and resolved with history."""

from __future__ import annotations

import asyncpg

BASE = "/api/v1/enterprise/compliance"
PAYMENTS = {
    "name": "payments", "tags": ["financial"],
    "inputs": {"type": "object", "properties": {"email": {"type": "string"}, "mrn": {"type": "string"}}},
    "nodes": [
        {"id": "push", "type": "http_request",
         "config": {"method": "POST", "url": "https://crm.example.com/contacts", "json": {"to": "{{ inputs.email }}"}}},
        {"id": "ask", "type": "llm", "config": {"prompt": "Summarise chart {{ inputs.mrn }}",
                                                "base_url": "https://llm.example.com/v1"}},
    ],
}
GDPR_WITH_CRM = {"name": "GDPR with our CRM", "replaces": "builtin:gdpr", "rules": [
    {"kind": "undeclared_processor", "classes": ["gdpr.personal"], "processors": ["*.example.com"],
     "severity": "medium"}]}


async def test_builtin_packs_are_listed_and_read_only(api, make_user):
    _, headers = await make_user()
    listed = await api.get(f"{BASE}/policies", headers=headers)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == ["builtin:ccpa", "builtin:gdpr", "builtin:hipaa", "builtin:sox"]
    assert all(p["builtin"] and p["rules"] for p in listed.json())
    sox = await api.get(f"{BASE}/policies/builtin:sox", headers=headers)
    assert sox.json()["rules"][0]["kind"] == "approval_before_side_effect"
    patched = await api.patch(f"{BASE}/policies/builtin:gdpr", json={"name": "mine"}, headers=headers)
    assert patched.status_code == 403 and patched.json()["error"]["code"] == "builtin_policy"
    assert (await api.delete(f"{BASE}/policies/builtin:gdpr", headers=headers)).status_code == 403
    assert (await api.get(f"{BASE}/policies/builtin:pci", headers=headers)).status_code == 404


async def test_custom_policies_crud_and_refusals(api, make_user):
    _, owner = await make_user()
    _, other = await make_user()
    created = await api.post(f"{BASE}/policies", json=GDPR_WITH_CRM, headers=owner)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert created.json()["builtin"] is False and created.json()["rules"][0]["processors"] == ["*.example.com"]
    assert (await api.get(f"{BASE}/policies/{pid}", headers=other)).status_code == 404
    assert (await api.patch(f"{BASE}/policies/{pid}", json={"enabled": False}, headers=other)).status_code == 404
    updated = await api.patch(f"{BASE}/policies/{pid}", json={"enabled": False, "name": "off"}, headers=owner)
    assert updated.status_code == 200 and updated.json()["enabled"] is False and updated.json()["name"] == "off"
    bad_kind = await api.post(f"{BASE}/policies", json={"name": "x", "rules": [{"kind": "vibes"}]}, headers=owner)
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["code"] == "validation_error"
    bad_class = await api.post(f"{BASE}/policies", headers=owner, json={"name": "x", "rules": [
        {"kind": "undeclared_processor", "classes": ["gdpr.everything"]}]})
    assert bad_class.status_code == 422
    bad_pack = await api.post(f"{BASE}/policies", json={**GDPR_WITH_CRM, "replaces": "builtin:pci"}, headers=owner)
    assert bad_pack.status_code == 422 and bad_pack.json()["error"]["details"][0]["code"] == "unknown_pack"
    no_rules = await api.post(f"{BASE}/policies", json={"name": "x", "rules": []}, headers=owner)
    assert no_rules.status_code == 422
    assert (await api.delete(f"{BASE}/policies/{pid}", headers=other)).status_code == 404
    assert (await api.delete(f"{BASE}/policies/{pid}", headers=owner)).status_code == 204
    assert (await api.get(f"{BASE}/policies/{pid}", headers=owner)).status_code == 404


async def test_a_scan_records_violations_that_owners_acknowledge_and_resolve(api, make_user, database_url):
    _, owner = await make_user()
    _, other = await make_user()
    wid = (await api.post("/api/v1/workflows", json=PAYMENTS, headers=owner)).json()["id"]
    scan = await api.get(f"{BASE}/scan/{wid}", headers=owner)
    assert scan.status_code == 200, scan.text
    found = {(v["policy_id"], v["rule"], v["node"]) for v in scan.json()["violations"]}
    assert found == {
        ("builtin:gdpr", "undeclared_processor", "push"), ("builtin:gdpr", "undeclared_processor", "ask"),
        ("builtin:hipaa", "undeclared_processor", "push"), ("builtin:hipaa", "undeclared_processor", "ask"),
        ("builtin:hipaa", "phi_to_llm_without_agreement", "ask"), ("builtin:ccpa", "undeclared_processor", "ask"),
        ("builtin:sox", "approval_before_side_effect", "push"), ("builtin:sox", "approval_before_side_effect", "ask"),
    }
    llm = next(v for v in scan.json()["violations"] if v["rule"] == "phi_to_llm_without_agreement")
    assert llm["severity"] == "critical" and llm["evidence"] == {"destination": "llm.example.com",
                                                                 "entities": ["MEDICAL_RECORD_NUMBER"]}
    assert llm["status"] == "open" and llm["remediation"]
    # Scanned again: the same violations, not new ones.
    again = await api.get(f"{BASE}/scan/{wid}", headers=owner)
    assert {v["id"] for v in again.json()["violations"]} == {v["id"] for v in scan.json()["violations"]}
    # Filters.
    critical = await api.get(f"{BASE}/violations", params={"severity": "critical", "workflow_id": wid}, headers=owner)
    assert [v["id"] for v in critical.json()["items"]] == [llm["id"]]
    sox = await api.get(f"{BASE}/violations", params={"policy_id": "builtin:sox"}, headers=owner)
    assert sox.json()["total"] == 2
    assert (await api.get(f"{BASE}/violations", params={"status": "closed"}, headers=owner)).status_code == 422
    assert (await api.get(f"{BASE}/violations", headers=other)).json()["total"] == 0
    # Acknowledge, resolve: each change in the history and the audit log.
    assert (await api.post(f"{BASE}/violations/{llm['id']}/acknowledge", headers=other)).status_code == 404
    acked = await api.post(f"{BASE}/violations/{llm['id']}/acknowledge", json={"comment": "BAA in review"},
                           headers=owner)
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    resolved = await api.post(f"{BASE}/violations/{llm['id']}/resolve", headers=owner)
    assert resolved.json()["status"] == "resolved"
    assert [(h["from"], h["to"], h["comment"]) for h in resolved.json()["history"]] == [
        ("open", "acknowledged", "BAA in review"), ("acknowledged", "resolved", "")]
    late = await api.post(f"{BASE}/violations/{llm['id']}/acknowledge", headers=owner)
    assert late.status_code == 409 and late.json()["error"]["code"] == "violation_resolved"
    assert (await api.get(f"{BASE}/violations", params={"status": "resolved"}, headers=owner)).json()["total"] == 1
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM audit_log WHERE resource_id = $1 AND outcome = 'success' ORDER BY id", llm["id"])]
    finally:
        await conn.close()
    assert actions == [f"POST {BASE}/violations/{{violation_id}}/acknowledge",
                       f"POST {BASE}/violations/{{violation_id}}/resolve"]
    # Still there at the next scan: a resolved violation found again is open again.
    reopened = await api.get(f"{BASE}/scan/{wid}", headers=owner)
    assert next(v for v in reopened.json()["violations"] if v["id"] == llm["id"])["status"] == "open"


async def test_a_custom_policy_declaring_processors_replaces_its_pack(api, make_user):
    _, owner = await make_user()
    wid = (await api.post("/api/v1/workflows", json=PAYMENTS, headers=owner)).json()["id"]
    assert (await api.post(f"{BASE}/policies", json=GDPR_WITH_CRM, headers=owner)).status_code == 201
    scan = await api.get(f"{BASE}/scan/{wid}", headers=owner)
    policies = {v["policy_id"] for v in scan.json()["violations"]}
    assert "builtin:gdpr" not in policies  # replaced, and its processors cover both hosts
    assert {"builtin:hipaa", "builtin:sox", "builtin:ccpa"} <= policies
