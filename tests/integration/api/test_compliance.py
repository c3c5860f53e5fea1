"""/api/v1/enterprise/compliance: ad-hoc and workflow scans, stored and
listed; planted personal data never leaves the run's own data."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from tests.integration.api.helpers import ScriptedServer, wait_finished

BASE = "/api/v1/enterprise/compliance"
SSN, EMAIL, CARD = "536-22-8726", "planted.person@example.com", "4111 1111 1111 1111"
PLANTED = (SSN, EMAIL, CARD, "4111111111111111", "536228726", "planted.person")


def _assert_clean(text: str, where: str) -> None:
    for raw in PLANTED:
        assert raw not in text, f"{raw!r} appears in {where}"


def _graph(server_url: str) -> dict:
    return {
        "name": "crm sync",
        "inputs": {"type": "object", "properties": {"ssn": {"type": "string"}, "contact": {"type": "string"},
                                                    "note": {"type": "string"}}},
        "nodes": [
            {"id": "shape", "type": "transform",
             "config": {"output": {"who": "{{ inputs.contact }}", "card": "{{ inputs.note }}",
                                   "owner": "ops.lead@example.com"}}},
            {"id": "push", "type": "http_request",
             "config": {"method": "POST", "url": f"{server_url}/crm", "json": {"who": "{{ nodes.shape.output.who }}",
                                                                              "ssn": "{{ inputs.ssn }}"}}},
            {"id": "local", "type": "transform", "config": {"output": "done"}},
        ],
        "edges": [{"from": "shape", "to": "push"}, {"from": "push", "to": "local"}],
    }


async def test_an_ad_hoc_payload_is_scanned_stored_and_answered_without_values(api, make_user, database_url):
    _, headers = await make_user()
    payload = {"customer": {"ssn": SSN, "mail": f"write to {EMAIL}"}, "card": CARD, "version": "v1.2.3.4"}
    response = await api.post(f"{BASE}/scan", json={"payload": payload, "mask": True}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "payload" and body["status"] == "completed"
    assert {(f["entity"], f["path"]) for f in body["findings"]} == {
        ("US_SSN", "$.customer.ssn"), ("EMAIL_ADDRESS", "$.customer.mail"), ("CREDIT_CARD", "$.card")}
    assert body["summary"]["by_entity"] == {"US_SSN": 1, "EMAIL_ADDRESS": 1, "CREDIT_CARD": 1}
    assert body["summary"]["by_class"]["hipaa.phi"] == 3 and body["summary"]["by_class"]["ccpa.sensitive"] == 2
    assert body["masked"] == {"customer": {"ssn": "***********", "mail": "write to **********************.com"},
                              "card": "***************1111", "version": "v1.2.3.4"}
    _assert_clean(response.text, "the answer")
    stored = await api.get(f"{BASE}/scans/{body['id']}", headers=headers)
    assert stored.status_code == 200 and stored.json()["findings"] == body["findings"]
    _assert_clean(stored.text, "the stored scan")
    # Text is a payload too.
    text = await api.post(f"{BASE}/scan", json={"payload": f"call me on (212) 555-0187, {EMAIL}"}, headers=headers)
    assert [f["entity"] for f in text.json()["findings"]] == ["PHONE_NUMBER", "EMAIL_ADDRESS"]
    assert text.json()["masked"] is None


async def test_ad_hoc_scans_refuse_bad_requests(api, make_user):
    _, headers = await make_user()
    assert (await api.post(f"{BASE}/scan", json={"payload": "x"})).status_code == 401
    missing = await api.post(f"{BASE}/scan", json={"mask": True}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "validation_error"
    extra = await api.post(f"{BASE}/scan", json={"payload": "x", "values": True}, headers=headers)
    assert extra.status_code == 422
    _, reader = await make_user(scopes="read")
    assert (await api.post(f"{BASE}/scan", json={"payload": "x"}, headers=reader)).status_code == 403


async def test_a_workflow_scan_covers_config_flows_and_executions_and_stores_no_value(
        api, make_user, database_url, caplog):
    # The run at the platform's log level (the Temporal SDK's DEBUG records
    # show activity inputs: the run's own data); the scan at DEBUG.
    caplog.set_level(logging.INFO)
    _, owner = await make_user()
    async with ScriptedServer() as server:
        created = await api.post("/api/v1/workflows", json=_graph(server.base), headers=owner)
        assert created.status_code == 201, created.text
        wid = created.json()["id"]
        run = await api.post(f"/api/v1/workflows/{wid}/executions", headers=owner,
                             json={"inputs": {"ssn": SSN, "contact": EMAIL, "note": f"card {CARD}"}})
        assert run.status_code in (201, 202), run.text
        finished = await wait_finished(api, run.json()["id"], owner)
        assert finished["status"] == "succeeded", finished
    caplog.set_level(logging.DEBUG)
    scan = await api.get(f"{BASE}/scan/{wid}", headers=owner)
    assert scan.status_code == 200, scan.text
    body = scan.json()
    assert body["kind"] == "workflow" and body["version"] == 1 and body["summary"]["executions"] == 1
    found = {(f["source"], f["node"], f["entity"], f["path"]) for f in body["findings"]}
    assert ("config", "shape", "EMAIL_ADDRESS", "$.nodes[0].config.output.owner") in found
    assert ("inputs", None, "US_SSN", "$.inputs.ssn") in found
    assert ("inputs", None, "CREDIT_CARD", "$.inputs.note") in found
    assert ("output", "shape", "EMAIL_ADDRESS", "$.nodes.shape.output.who") in found
    assert ("output", "shape", "CREDIT_CARD", "$.nodes.shape.output.card") in found
    assert all(f["execution_id"] == finished["id"] for f in body["findings"] if f["source"] != "config")
    [flow] = body["flows"]  # only `push` sends data out
    assert flow["node"] == "push" and flow["destination"] == "127.0.0.1"
    # Conservative: all that `shape` reads may be in the part of its output `push` reads.
    assert flow["inputs"] == ["contact", "note", "ssn"] and flow["upstream"] == ["shape"]
    assert set(flow["entities"]) >= {"US_SSN", "EMAIL_ADDRESS"}
    _assert_clean(scan.text, "the scan's answer")
    reports = await api.get(f"{BASE}/reports", params={"workflow_id": wid}, headers=owner)
    assert reports.status_code == 200 and reports.json()["total"] == 1
    assert reports.json()["items"][0]["summary"]["findings"] == body["summary"]["findings"]
    _assert_clean(reports.text, "the reports")
    # PostgreSQL outside the run's own data (its execution row) holds none of them.
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        for table in ("compliance_scans", "audit_log"):
            rows = await conn.fetch(f"SELECT row_to_json(t)::text AS j FROM {table} t")
            _assert_clean("\n".join(r["j"] for r in rows), table)
    finally:
        await conn.close()
    for r in caplog.records:
        _assert_clean(f"{r.getMessage()} {r.args}", f"the log of {r.name}")


async def test_workflow_scans_answer_only_their_owner(api, make_user):
    _, owner = await make_user()
    _, other = await make_user()
    created = await api.post("/api/v1/workflows", json=_graph("https://crm.example.com"), headers=owner)
    wid = created.json()["id"]
    assert (await api.get(f"{BASE}/scan/{wid}", headers=other)).status_code == 404
    assert (await api.get(f"{BASE}/scan/no-such-workflow", headers=owner)).status_code == 404
    too_many = await api.get(f"{BASE}/scan/{wid}", params={"executions": 1000}, headers=owner)
    assert too_many.status_code == 422
    unknown = await api.get(f"{BASE}/scan/{wid}", params={"deep": 1}, headers=owner)
    assert unknown.status_code == 422
    scan = await api.get(f"{BASE}/scan/{wid}", params={"executions": 0}, headers=owner)
    assert scan.status_code == 200 and scan.json()["summary"]["executions"] == 0
    assert scan.json()["flows"][0]["destination"] == "crm.example.com"
    assert (await api.get(f"{BASE}/scans/{scan.json()['id']}", headers=other)).status_code == 404
    theirs = await api.get(f"{BASE}/reports", headers=other)
    assert theirs.json()["total"] == 0
    bad = await api.get(f"{BASE}/reports", params={"kind": "everything"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
