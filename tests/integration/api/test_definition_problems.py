"""Issue 10.9: a refused definition says what to fix. The 422 keeps the one
error shape; its details are every problem sorted by path, each with a code,
a plain message and, where there is an obvious fix, a `suggestion`; URLs
whose written-out host the egress policy refuses are refused when saved."""

from __future__ import annotations

import uuid

WORKFLOWS = "/api/v1/workflows"


def broken() -> dict:
    return {"name": "helpful", "nodes": [
        {"id": "prepare", "type": "transform", "config": {"output": {"v": 1}}},
        {"id": "fetch", "type": "http_request", "config": {"urll": "https://api.example.com/", "timeout_s": "soon"}},
        {"id": "use", "type": "transfrom", "config": {}},
        {"id": "say", "type": "transform", "config": {"output": "{{ nodes.prepar.output.v }}"}},
    ], "edges": [{"from": "prepare", "to": "fetch"}, {"from": "prepare", "to": "uses"},
                 {"from": "prepare", "to": "say"}]}


EXPECTED = [
    {"code": "edge_unknown_target", "path": "$.edges[1].to",
     "message": "no node with id `uses` (did you mean `use`?)", "suggestion": "use"},
    {"code": "invalid_config", "path": "$.nodes[1].config.timeout_s",
     "message": "`timeout_s` must be a number, not the string `soon`"},
    {"code": "invalid_config", "path": "$.nodes[1].config.url",
     "message": "`url` is required for an http_request node"},
    {"code": "invalid_config", "path": "$.nodes[1].config.urll",
     "message": "unknown field `urll` (did you mean `url`?)", "suggestion": "url"},
    {"code": "unknown_node_type", "path": "$.nodes[2].type",
     "message": "unknown node type `transfrom` (did you mean `transform`?)", "suggestion": "transform"},
    {"code": "expression_unknown_node", "path": "$.nodes[3].config.output",
     "message": "no node with id `prepar` (did you mean `prepare`?)", "suggestion": "prepare"},
]


def refused(response) -> dict:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


async def test_a_refused_definition_lists_plain_sorted_problems_with_suggestions(api, make_user):
    _, headers = await make_user()
    for answer in (await api.post(WORKFLOWS, json=broken(), headers=headers),
                   await api.post(f"{WORKFLOWS}/validate", json=broken(), headers=headers)):
        error = refused(answer)
        assert (error["code"], error["message"]) == ("invalid_definition", "the definition has 6 problem(s)")
        assert error["details"] == EXPECTED
    saved = await api.post(WORKFLOWS, json={"name": "ok", "nodes": [
        {"id": "a", "type": "transform", "config": {"output": 1}}]}, headers=headers)
    assert saved.status_code == 201, saved.text
    error = refused(await api.put(f"{WORKFLOWS}/{saved.json()['id']}", json=broken(), headers=headers))
    assert error["details"] == EXPECTED
    versions = await api.get(f"{WORKFLOWS}/{saved.json()['id']}/versions", headers=headers)
    assert [v["version"] for v in versions.json()] == [1]


def calling(*urls: str) -> dict:
    return {"name": "calls", "nodes": [
        {"id": f"n{i}", "type": "http_request", "config": {"url": url}} for i, url in enumerate(urls)]}


async def test_urls_the_egress_policy_refuses_are_refused_when_saved(api, make_user, temporal_http_port):
    """The test API allows loopback (its local servers), so these are what it
    still refuses: the platform's own port, metadata, private ranges."""
    _, headers = await make_user()
    definition = calling(f"http://127.0.0.1:{temporal_http_port}/api/v1/namespaces",
                         "http://169.254.169.254/latest/meta-data/{{ inputs.path }}",
                         "http://10.0.0.7/", "ftp://files.example.com/x", "https://{{ inputs.host }}/",
                         "http://127.0.0.1:9/ok", "not a url")
    error = refused(await api.post(WORKFLOWS, json=definition, headers=headers))
    assert [(d["path"], d["code"]) for d in error["details"]] == [
        ("$.nodes[0].config.url", "destination_not_allowed"), ("$.nodes[1].config.url", "destination_not_allowed"),
        ("$.nodes[2].config.url", "destination_not_allowed"), ("$.nodes[3].config.url", "url_scheme_not_allowed"),
        ("$.nodes[6].config.url", "invalid_url")]
    messages = [d["message"] for d in error["details"]]
    assert messages[0] == (f"`url`: destination 127.0.0.1:{temporal_http_port} is not allowed: one of the platform's "
                           "own endpoints (refused by AGENTIC_OUTBOUND_DENY); nodes may not call it (the egress "
                           "policy, docs/operations.md)")
    assert "169.254.169.254:80 is not allowed: a link-local address" in messages[1]
    assert "10.0.0.7:80 is not allowed: a private address" in messages[2]
    # An llm base_url in an inline sub-workflow is judged too.
    nested = {"name": "nested", "nodes": [{"id": "s", "type": "sub_workflow", "config": {"definition": {
        "name": "child", "nodes": [{"id": "ask", "type": "llm",
                                    "config": {"prompt": "p", "base_url": "http://[fd00::1]:8000/v1"}}]}}}]}
    error = refused(await api.post(f"{WORKFLOWS}/validate", json=nested, headers=headers))
    assert [(d["path"], d["code"]) for d in error["details"]] == [
        ("$.nodes[0].config.definition.nodes[0].config.base_url", "destination_not_allowed")]
    # What the policy allows (here: loopback other than the platform's ports) is saved.
    allowed = await api.post(WORKFLOWS, json=calling("http://127.0.0.1:9/ok", "http://localhost:9/{{ inputs.p }}",
                                                     "https://{{ inputs.host }}/"), headers=headers)
    assert allowed.status_code == 201, allowed.text


async def test_unknown_approvers_read_the_same_way(api, make_user):
    _, headers = await make_user()
    ghost = f"ghost_{uuid.uuid4().hex[:6]}"
    definition = {"name": "gate", "nodes": [{"id": "gate", "type": "approval", "config": {
        "approvers": ["scope:admn", f"user:{ghost}"],
        "escalation": [{"after_s": 60, "add_approvers": ["role:nobody-holds-this"]}]}}]}
    error = refused(await api.post(WORKFLOWS, json=definition, headers=headers))
    assert error["code"] == "unknown_approver"
    assert error["details"] == [
        {"code": "unknown_approver", "path": "$.nodes[0].config.approvers[0]",
         "message": "no scope `admn` (did you mean `admin`?)", "suggestion": "scope:admin"},
        {"code": "unknown_approver", "path": "$.nodes[0].config.approvers[1]", "message": f"no user `{ghost}`"},
        {"code": "unknown_approver", "path": "$.nodes[0].config.escalation[0].add_approvers[0]",
         "message": "nobody holds role `nobody-holds-this`"},
    ]


async def test_run_inputs_problems_keep_their_shape_and_do_not_echo_huge_values(api, make_user):
    _, headers = await make_user()
    saved = await api.post(WORKFLOWS, json={
        "name": "inputs", "inputs": {"type": "object", "properties": {"who": {"type": "string", "maxLength": 8}}},
        "nodes": [{"id": "a", "type": "transform", "config": {"output": "{{ inputs.who }}"}}]}, headers=headers)
    assert saved.status_code == 201, saved.text
    error = refused(await api.post(f"{WORKFLOWS}/{saved.json()['id']}/executions",
                                   json={"inputs": {"who": "x" * 200_000}}, headers=headers))
    assert error["code"] == "invalid_inputs"
    assert error["details"] == [{"code": "invalid_run_inputs", "path": "$.inputs.who",
                                 "message": "`" + "x" * 40 + "…` is too long"}]
