"""Rerun from a node: after fixing the definition (`latest`) the failed node and
what follows run while the upstream results are reused (the side-effect counter
proves they did not run); with `original` and an input override the old
definition runs again; source and rerun link both ways."""

from __future__ import annotations

from .helpers import wait_finished
from .test_debug import _wait_paused
from .test_debug import counter  # noqa: F401 - the fixture

REUSED = {"fetch": True, "prepare": True, "pick": False, "report": False}


def definition(base: str, pick: str) -> dict:
    return {
        "name": "rerun me",
        "inputs": {"type": "object", "properties": {"choices": {"type": "array"}, "index": {"type": "integer"}},
                   "required": ["choices", "index"]},
        "nodes": [
            {"id": "fetch", "type": "http_request", "config": {"url": f"{base}/rerun-fetch"}},
            {"id": "prepare", "type": "transform", "config": {"output": {"n": "{{ nodes.fetch.output.body.n }}"}}},
            {"id": "pick", "type": "transform", "config": {"output": pick}, "retry": {"max_attempts": 1}},
            {"id": "report", "type": "http_request", "config": {"url": f"{base}/rerun-report"}},
        ],
        "edges": [{"from": "fetch", "to": "prepare"}, {"from": "prepare", "to": "pick"},
                  {"from": "pick", "to": "report"}],
    }


V1 = "{{ inputs.choices[inputs.index] }}"  # fails when index is out of range
V2 = "{{ inputs.choices | length }}"


async def test_rerun_latest_after_fix_and_original_with_override(api, make_user, counter):  # noqa: F811
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=definition(counter.base, V1), headers=headers)).json()
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"choices": ["a", "b"], "index": 5}})
    source = await wait_finished(api, started.json()["id"], headers)
    assert source["status"] == "failed" and source["nodes"]["pick"]["state"] == "failed"
    assert counter.hits == {"/rerun-fetch": 1}

    # refused: unknown node, a running... and another user's execution
    unknown = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                             json={"from_node": "nope", "definition": "latest"})
    assert unknown.status_code == 422
    _, stranger = await make_user()
    hidden = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=stranger,
                            json={"from_node": "pick", "definition": "latest"})
    assert hidden.status_code == 404

    # fix the definition, rerun from the failed node on the latest version
    fixed = await api.put(f"/api/v1/workflows/{wf['id']}", json=definition(counter.base, V2), headers=headers)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["latest_version"] == 2
    rerun = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                           json={"from_node": "pick", "definition": "latest"})
    assert rerun.status_code == 202, rerun.text
    accepted = rerun.json()
    assert accepted["source_execution_id"] == source["id"] and accepted["version"] == 2
    assert accepted["definition"] == "latest" and accepted["reused_nodes"] == ["fetch", "prepare"]
    final = await wait_finished(api, accepted["id"], headers)
    assert final["status"] == "succeeded"
    assert final["nodes"]["pick"]["output"] == 2
    assert final["nodes"]["fetch"]["output"] == source["nodes"]["fetch"]["output"]
    assert final["nodes"]["prepare"]["output"] == {"n": 1}
    # GET /executions/{id} says per node what the workflow does: reused or run, and the input digest
    assert {node: summary["reused"] for node, summary in final["nodes"].items()} == REUSED
    assert all(summary["input_digest"] for summary in final["nodes"].values())
    assert counter.hits == {"/rerun-fetch": 1, "/rerun-report": 1}  # fetch did not run again
    # a reused node says so, names the run that ran it, and has no times or attempts of its own here
    for nid in ("fetch", "prepare"):
        node = final["nodes"][nid]
        assert (node["state"], node["reused_from"], node["attempts"]) == ("reused", source["id"], 0), node
        assert node["started_at"] is None and node["finished_at"] is None and node["duration_ms"] is None
    assert final["nodes"]["pick"]["state"] == "succeeded" and final["nodes"]["pick"]["reused_from"] is None
    result = (await api.get(f"/api/v1/executions/{accepted['id']}/result", headers=headers)).json()
    assert [(n["id"], n["state"]) for n in result["nodes"]] == [
        ("fetch", "reused"), ("prepare", "reused"), ("pick", "succeeded"), ("report", "succeeded")]
    # a rerun of the rerun: still the execution that really ran them
    chained = await api.post(f"/api/v1/executions/{accepted['id']}/rerun", headers=headers,
                             json={"from_node": "report", "definition": "latest"})
    assert chained.status_code == 202, chained.text
    chained_final = await wait_finished(api, chained.json()["id"], headers)
    assert {nid: chained_final["nodes"][nid]["reused_from"] for nid in ("fetch", "pick")} == {
        "fetch": source["id"], "pick": accepted["id"]}
    assert counter.hits == {"/rerun-fetch": 1, "/rerun-report": 2}  # only report ran again

    # the original definition with an input override
    again = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                           json={"from_node": "pick", "definition": "original", "input_overrides": {"index": 1}})
    assert again.status_code == 202, again.text
    assert again.json()["version"] == 1 and again.json()["definition"] == "original"
    final2 = await wait_finished(api, again.json()["id"], headers)
    assert final2["status"] == "succeeded" and final2["version"] == 1
    assert final2["inputs"] == {"choices": ["a", "b"], "index": 1}
    assert final2["nodes"]["pick"]["output"] == "b"  # v1's expression
    assert counter.hits == {"/rerun-fetch": 1, "/rerun-report": 3}

    # lineage both ways, with the choices recorded
    down = (await api.get(f"/api/v1/executions/{source['id']}/lineage", headers=headers)).json()
    assert [(r["id"], r["definition"], r["version"]) for r in down["reruns"]] == [
        (accepted["id"], "latest", 2), (again.json()["id"], "original", 1)]
    up = (await api.get(f"/api/v1/executions/{again.json()['id']}/lineage", headers=headers)).json()
    assert up["source_execution_id"] == source["id"]
    assert up["rerun"]["from_node"] == "pick" and up["rerun"]["input_overrides"] == {"index": 1}

    # a debug session over the rerun shows the reused nodes settled without running
    session = (await api.post("/api/v1/debug/sessions", json={"execution_id": accepted["id"]},
                              headers=headers)).json()
    reused = [b["node_id"] for b in session["timeline"] if b["reused"]]
    assert reused == ["fetch", "prepare"]
    assert not any(b["kind"] == "enter" and b["node_id"] in ("fetch", "prepare") for b in session["timeline"])

    # and so does the live progress while a rerun runs (held here at a breakpoint)
    held = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                          json={"from_node": "pick", "definition": "latest", "breakpoints": ["report"]})
    assert held.status_code == 202, held.text
    paused = await _wait_paused(api, headers, held.json()["id"], "report")
    assert {node: summary["reused"] for node, summary in paused["nodes"].items()} == REUSED
    assert (await api.post(f"/api/v1/executions/{held.json()['id']}/cancel", headers=headers)).status_code == 202


async def test_rerun_refuses_an_unfinished_or_unreusable_source(api, make_user, counter):  # noqa: F811
    _, headers = await make_user()
    wf = (await api.post("/api/v1/workflows", json=definition(counter.base, V1), headers=headers)).json()
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=headers,
                             json={"inputs": {"choices": ["a"], "index": 3}})
    source = await wait_finished(api, started.json()["id"], headers)
    # report is downstream of the failed pick: pick cannot be reused
    refused = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                             json={"from_node": "report", "definition": "original"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "upstream_not_reusable"
    bad_input = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=headers,
                               json={"from_node": "pick", "definition": "original",
                                     "input_overrides": {"index": "x"}})
    assert bad_input.status_code == 422


def payment(base: str, approver: str) -> dict:
    return {
        "name": "pay",
        "inputs": {"type": "object", "properties": {"amount": {"type": "integer"}}, "required": ["amount"]},
        "nodes": [
            {"id": "fetch", "type": "http_request", "config": {"url": f"{base}/rerun-fetch"}},
            {"id": "amount", "type": "transform", "config": {"output": "{{ inputs.amount }}"}},
            {"id": "ok", "type": "approval", "config": {"approvers": [f"user:{approver}"],
                                                         "instructions": "pay {{ nodes.amount.output }}?"}},
            {"id": "pay", "type": "http_request",
             "config": {"url": f"{base}/rerun-pay", "query": {"amount": "{{ nodes.amount.output }}"}}},
        ],
        "edges": [{"from": "fetch", "to": "amount"}, {"from": "amount", "to": "ok"},
                  {"from": "ok", "to": "pay", "when": "{{ nodes.ok.output.approved }}"}],
    }


async def test_a_rerun_never_reuses_an_approval_or_a_node_whose_input_changed(api, make_user, counter):  # noqa: F811
    """Issue 8.8: carol approved "pay 1?"; a rerun from `pay` with amount
    1,000,000 must ask again, not pay under her old approval."""
    from .test_approvals import decide, wait_pending

    carol_name, carol = await make_user()
    _, owner = await make_user()
    wf = (await api.post("/api/v1/workflows", json=payment(counter.base, carol_name), headers=owner)).json()
    started = (await api.post(f"/api/v1/workflows/{wf['id']}/executions", headers=owner,
                              json={"inputs": {"amount": 1}})).json()
    await wait_pending(api, carol, f"{started['id']}:ok")
    assert (await decide(api, carol, f"{started['id']}:ok")).status_code == 200
    source = await wait_finished(api, started["id"], owner)
    assert source["status"] == "succeeded" and counter.hits["/rerun-pay"] == 1

    rerun = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=owner, json={
        "from_node": "pay", "definition": "original", "input_overrides": {"amount": 1000000}})
    assert rerun.status_code == 202, rerun.text
    # fetch reads no input: reused. amount's input changed, ok is an approval: both run again.
    assert rerun.json()["reused_nodes"] == ["fetch"]
    eid = rerun.json()["id"]
    pending = await wait_pending(api, carol, f"{eid}:ok")
    assert pending["instructions"] == "pay 1000000?"
    assert counter.hits["/rerun-pay"] == 1 and counter.hits["/rerun-fetch"] == 1  # nothing paid yet
    await api.post(f"/api/v1/executions/{eid}/cancel", headers=owner)

    # The same inputs again: the approval is still asked again, the rest reused.
    same = await api.post(f"/api/v1/executions/{source['id']}/rerun", headers=owner, json={
        "from_node": "pay", "definition": "original"})
    assert same.json()["reused_nodes"] == ["fetch", "amount"]
    await wait_pending(api, carol, f"{same.json()['id']}:ok")
    await api.post(f"/api/v1/executions/{same.json()['id']}/cancel", headers=owner)
