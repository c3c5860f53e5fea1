"""Issue 12: the sql, notify and for_each node types are validated when a
version is saved: a template in SQL text, a secret in a message, a
privileged node inside a for_each are refused with 422 in the one error
shape, and nothing is created."""

from __future__ import annotations

WORKFLOWS = "/api/v1/workflows"


def definition(*nodes: dict) -> dict:
    return {"name": "new node types", "nodes": list(nodes), "edges": []}


async def refused(api, headers, body) -> list[dict]:
    before = (await api.get(WORKFLOWS, headers=headers)).json()
    response = await api.post(WORKFLOWS, json=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == "invalid_definition"
    assert (await api.get(WORKFLOWS, headers=headers)).json() == before
    return [(d["code"], d["path"]) for d in error["details"]]


async def test_sql_text_with_a_template_is_refused(api, make_user):
    _, headers = await make_user()
    body = definition({"id": "q", "type": "sql", "config": {
        "dsn": "{{ secrets.DB }}", "sql": "SELECT * FROM t WHERE name = '{{ inputs.name }}'"}})
    assert await refused(api, headers, body) == [("invalid_config", "$.nodes[0].config.sql")]


async def test_a_secret_in_a_notification_message_is_refused(api, make_user):
    _, headers = await make_user()
    body = definition({"id": "n", "type": "notify", "config": {
        "channel": "webhook", "url": "{{ secrets.HOOK }}", "text": "the key is {{ secrets.KEY }}"}})
    assert await refused(api, headers, body) == [("secret_not_allowed", "$.nodes[0].config.text")]


async def test_a_privileged_node_inside_for_each_is_refused(api, make_user):
    _, headers = await make_user()
    body = definition({"id": "each", "type": "for_each", "config": {
        "items": [1, 2], "node": {"type": "shell", "config": {"argv": ["id"]}}}})
    assert await refused(api, headers, body) == [("invalid_config", "$.nodes[0].config.node.type")]


async def test_valid_new_node_types_save(api, make_user):
    _, headers = await make_user()
    created = await api.post("/api/v1/secrets", json={"name": "DB", "value": "postgresql://u:pw@db.example/app"},
                             headers=headers)
    assert created.status_code == 201, created.text
    body = definition(
        {"id": "q", "type": "sql", "config": {"dsn": "{{ secrets.DB }}", "sql": "SELECT $1::int AS n",
                                              "params": ["{{ inputs.n }}"]}},
        {"id": "each", "type": "for_each", "config": {"items": "{{ nodes.q.output.rows }}", "node": {
            "type": "notify", "config": {"channel": "webhook", "url": "https://hooks.example.com/x",
                                         "format": "slack", "text": "row {{ index }}: {{ item.n }}"}}}})
    body["edges"] = [{"from": "q", "to": "each"}]
    response = await api.post(WORKFLOWS, json=body, headers=headers)
    assert response.status_code == 201, response.text
