"""The template API: listing and search, visibility, versions, import/export,
deploy (all or nothing), and the idempotent loading of built-ins."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from core.db.models import Template, TemplateVersion, Workflow
from templates.loader import BUILTIN_DIR, load_builtins

from .helpers import wait_finished
from .template_helpers import add_secret

pytestmark = pytest.mark.integration
T = "/api/v1/templates"

SPEC = {
    "name": "Greeter",
    "description": "Says hello to someone, in a configurable way",
    "category": "demo",
    "tags": ["hello"],
    "version": "1.0.0",
    "parameters": {"type": "object", "required": ["greeting"],
                   "properties": {"greeting": {"type": "string", "examples": ["Hello"]},
                                  "times": {"type": "integer", "default": 1, "minimum": 1}}},
    "graph": {
        "name": "Greeter",
        "inputs": {"type": "object", "properties": {"who": {"type": "string"}}},
        "nodes": [{"id": "greet", "type": "transform",
                   "config": {"output": {"text": "{{ params.greeting }}, {{ inputs.who }}",
                                         "times": "{{ params.times }}"}}}],
        "edges": [],
    },
}


def spec(**changes) -> dict:
    found = copy.deepcopy(SPEC)
    found.update(changes)
    return found


async def _count(app, model) -> int:
    async with app.state.agentic.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _create(api, headers, body=None) -> dict:
    response = await api.post(T, json=body or spec(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_builtins_are_listed_filtered_searched_and_counted(api, make_user):
    _, headers = await make_user()
    listed = (await api.get(T, params={"builtin": "true", "limit": 200}, headers=headers)).json()
    names = {t["name"] for t in listed["items"]}
    assert "Code Review" in names and listed["total"] == len(listed["items"])
    assert all(t["builtin"] and t["public"] and t["owner_id"] is None for t in listed["items"])
    review = next(t for t in listed["items"] if t["name"] == "Code Review")
    assert review["secrets"] == ["GITHUB_TOKEN", "LLM_API_KEY"] and review["node_types"] == ["http_request", "llm"]
    by_category = (await api.get(T, params={"category": "code-quality"}, headers=headers)).json()
    assert "Code Review" in {t["name"] for t in by_category["items"]}
    assert all(t["category"] == "code-quality" for t in by_category["items"])
    by_tag = (await api.get(T, params={"tag": "github"}, headers=headers)).json()
    assert all("github" in t["tags"] for t in by_tag["items"]) and by_tag["total"] >= 1
    searched = (await api.get(T, params={"q": "pull REQUEST"}, headers=headers)).json()
    assert "Code Review" in {t["name"] for t in searched["items"]}
    assert (await api.get(T, params={"q": "no-such-words-anywhere"}, headers=headers)).json()["total"] == 0
    for name in ("Paged one", "Paged two"):
        await _create(api, headers, spec(name=name, category="paging"))
    pages = [(await api.get(T, params={"category": "paging", "limit": 1, "offset": n}, headers=headers)).json()
             for n in (0, 1, 2)]
    assert [[t["name"] for t in p["items"]] for p in pages] == [["Paged one"], ["Paged two"], []]
    assert {p["total"] for p in pages} == {2}
    counts = (await api.get(f"{T}/categories", headers=headers)).json()
    assert {"category": "code-quality", "count": by_category["total"]} in counts
    unknown = await api.get(T, params={"sort": "name"}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"]


async def test_a_users_template_is_private_until_an_admin_publishes_it(api, make_user, admin_headers):
    _, alice = await make_user()
    _, bob = await make_user()
    created = await _create(api, alice, spec(name="Alice's greeter", category="secret-demo"))
    assert created["public"] is False and created["builtin"] is False and created["version"] == "1.0.0"
    assert (await api.get(f"{T}/{created['id']}", headers=bob)).status_code == 404
    assert (await api.get(f"{T}/{created['id']}/export", headers=bob)).status_code == 404
    assert (await api.post(f"{T}/{created['id']}/deploy", json={"params": {"greeting": "Hi"}},
                           headers=bob)).status_code == 404
    assert created["id"] not in {t["id"] for t in (await api.get(T, params={"limit": 200}, headers=bob)).json()["items"]}
    counts = {c["category"]: c["count"] for c in (await api.get(f"{T}/categories", headers=alice)).json()}
    assert counts["secret-demo"] == 1
    counts = {c["category"]: c["count"] for c in (await api.get(f"{T}/categories", headers=bob)).json()}
    assert "secret-demo" not in counts  # bob's counts never include alice's private template
    refused = await api.post(f"{T}/{created['id']}/publish", json={"public": True}, headers=alice)
    assert refused.status_code == 403
    published = await api.post(f"{T}/{created['id']}/publish", json={"public": True}, headers=admin_headers)
    assert published.status_code == 200 and published.json()["public"] is True
    assert (await api.get(f"{T}/{created['id']}", headers=bob)).status_code == 200
    # Seen, but not bob's: he may not change it.
    put = await api.put(f"{T}/{created['id']}", json=spec(version="1.1.0"), headers=bob)
    assert put.status_code == 403 and put.json()["error"]["code"] == "not_template_owner"


async def test_versions_are_immutable_and_semver_must_increase(api, make_user, app):
    _, headers = await make_user()
    created = await _create(api, headers)
    same = await api.put(f"{T}/{created['id']}", json=spec(version="1.0.0"), headers=headers)
    assert same.status_code == 409 and same.json()["error"]["code"] == "version_not_newer"
    lower = await api.put(f"{T}/{created['id']}", json=spec(version="0.9.9"), headers=headers)
    assert lower.status_code == 409
    newer = await api.put(f"{T}/{created['id']}", json=spec(version="1.1.0", description="v2"), headers=headers)
    assert newer.status_code == 200 and newer.json()["latest_version"] == 2 and newer.json()["version"] == "1.1.0"
    versions = (await api.get(f"{T}/{created['id']}/versions", headers=headers)).json()
    assert [(v["version"], v["semver"]) for v in versions] == [(1, "1.0.0"), (2, "1.1.0")]
    first = (await api.get(f"{T}/{created['id']}/export", params={"version": 1}, headers=headers)).json()
    assert first["description"] == SPEC["description"]
    async with app.state.agentic.sessions() as session:
        row = await session.scalar(select(TemplateVersion).where(TemplateVersion.template_id == created["id"]))
        row.semver = "9.9.9"
        with pytest.raises(Exception, match="immutable"):
            await session.commit()


async def test_a_template_from_an_existing_workflow(api, make_user):
    _, alice = await make_user()
    _, bob = await make_user()
    wf = await api.post("/api/v1/workflows", json=SPEC["graph"] | {"nodes": [
        {"id": "greet", "type": "transform", "config": {"output": "hi {{ inputs.who }}"}}]}, headers=alice)
    assert wf.status_code == 201, wf.text
    body = {"name": "From a workflow", "workflow_id": wf.json()["id"]}
    created = await api.post(T, json=body, headers=alice)
    assert created.status_code == 201, created.text
    assert created.json()["graph"]["nodes"][0]["config"]["output"] == "hi {{ inputs.who }}"
    assert created.json()["author"] == (await api.get("/api/v1/auth/me", headers=alice)).json()["username"]
    assert (await api.post(T, json=body, headers=bob)).status_code == 404  # not bob's workflow
    both = await api.post(T, json=body | {"graph": SPEC["graph"]}, headers=alice)
    assert both.status_code == 422 and both.json()["error"]["details"][0]["path"] == "$.graph"


async def test_delete_is_soft_and_only_for_the_owner_or_an_admin(api, make_user, admin_headers, app):
    _, alice = await make_user()
    _, bob = await make_user()
    created = await _create(api, alice)
    assert (await api.delete(f"{T}/{created['id']}", headers=bob)).status_code == 404
    assert (await api.delete(f"{T}/{created['id']}", headers=alice)).status_code == 204
    assert (await api.get(f"{T}/{created['id']}", headers=alice)).status_code == 404
    async with app.state.agentic.sessions() as session:
        assert (await session.get(Template, created["id"])).deleted_at is not None  # kept
    builtin = (await api.get(T, params={"builtin": "true"}, headers=alice)).json()["items"][0]
    refused = await api.delete(f"{T}/{builtin['id']}", headers=alice)
    assert refused.status_code == 403 and "admin" in refused.json()["error"]["message"]


async def test_create_refuses_bad_templates_with_paths(api, make_user, app):
    _, headers = await make_user()
    before = await _count(app, Template)
    cases = {
        "invalid_field": spec(version="1.0"),
        "unknown_node_type": spec(graph=SPEC["graph"] | {"nodes": [{"id": "x", "type": "teleport", "config": {}}]}),
        "param_example_missing": spec(parameters={"type": "object", "properties": {"greeting": {"type": "string"}}}),
        "params_mixed": spec(graph=SPEC["graph"] | {"nodes": [{"id": "greet", "type": "transform", "config": {
            "output": "{{ params.greeting ~ inputs.who }}"}}]}),
        # Bound in the sandbox, under its limits: an amplifier is refused, not computed.
        "params_error": spec(graph=SPEC["graph"] | {"nodes": [{"id": "greet", "type": "transform", "config": {
            "output": "{{ params.greeting * 100000000 }}"}}]}),
        "secret_not_declared": spec(graph=SPEC["graph"] | {"nodes": [{"id": "call", "type": "http_request", "config": {
            "url": "https://example.com", "headers": {"Authorization": "Bearer {{ secrets.TOKEN }}"}}}]}),
    }
    for code, body in cases.items():
        response = await api.post(T, json=body, headers=headers)
        assert response.status_code == 422, (code, response.text)
        assert code in {d["code"] for d in response.json()["error"]["details"]}, (code, response.json())
        assert all(d["path"].startswith("$") for d in response.json()["error"]["details"])
    assert await _count(app, Template) == before


async def test_import_refuses_secret_values_unknown_types_and_invalid_graphs_before_creating(api, make_user, app):
    _, headers = await make_user()
    before = (await _count(app, Template), await _count(app, TemplateVersion))
    leaked = spec(graph=SPEC["graph"] | {"nodes": [{"id": "call", "type": "http_request", "config": {
        "url": "https://example.com", "headers": {"Authorization": "Bearer ghp_" + "a1" * 18}}}]})
    plain_key = spec(graph=SPEC["graph"] | {"nodes": [{"id": "ask", "type": "llm", "config": {
        "prompt": "hi", "base_url": "https://llm.example.com/v1", "api_key": "not-a-reference"}}]})
    unknown = spec(graph=SPEC["graph"] | {"nodes": [{"id": "q", "type": "teleport", "config": {"query": "select 1"}}]})
    cycle = spec(graph=SPEC["graph"] | {
        "nodes": [{"id": "a", "type": "transform", "config": {"output": 1}},
                  {"id": "b", "type": "transform", "config": {"output": 2}}],
        "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]})
    expected = [(leaked, "secret_value_embedded", "$.graph.nodes[0].config.headers.Authorization"),
                (plain_key, "secret_value_embedded", "$.graph.nodes[0].config.api_key"),
                (unknown, "unknown_node_type", "$.graph.nodes[0].type"),
                (cycle, "cycle", None)]
    for body, code, path in expected:
        response = await api.post(f"{T}/import", content=yaml.safe_dump(body),
                                  headers=headers | {"Content-Type": "application/yaml"})
        assert response.status_code == 422, response.text
        details = response.json()["error"]["details"]
        assert any(d["code"] == code and (path is None or d["path"] == path) for d in details), details
    for text, kind in (("{not json", "application/json"), ("a: [unclosed", "application/yaml"),
                       ("a: &x [1]\nb: *x\n", "application/yaml")):
        response = await api.post(f"{T}/import", content=text, headers=headers | {"Content-Type": kind})
        assert response.status_code == 422 and response.json()["error"]["code"] == "unreadable_template"
    wrong = await api.post(f"{T}/import", content=b"x", headers=headers | {"Content-Type": "image/png"})
    assert wrong.status_code == 415 and wrong.json()["error"]["code"] == "unsupported_media_type"
    assert (await _count(app, Template), await _count(app, TemplateVersion)) == before


async def test_export_then_import_round_trips_as_json_yaml_and_upload(api, make_user):
    _, headers = await make_user()
    created = await _create(api, headers)
    exported = await api.get(f"{T}/{created['id']}/export", headers=headers)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    original = exported.json()
    assert original["node_types"] == ["transform"]
    uploads = [dict(json=original), dict(content=yaml.safe_dump(original), headers={"Content-Type": "text/yaml"}),
               dict(files={"file": ("greeter.json", json.dumps(original), "application/json")})]
    for upload in uploads:
        extra = upload.pop("headers", {})
        imported = await api.post(f"{T}/import", headers=headers | extra, **upload)
        assert imported.status_code == 201, imported.text
        again = (await api.get(f"{T}/{imported.json()['id']}/export", headers=headers)).json()
        assert again == original
    # An export of a template that uses secrets holds their names only.
    review = (await api.get(T, params={"q": "Code Review"}, headers=headers)).json()["items"][0]
    text = (await api.get(f"{T}/{review['id']}/export", headers=headers)).text
    assert "GITHUB_TOKEN" in text and "{{ secrets.GITHUB_TOKEN }}" in text


async def test_deploy_binds_params_creates_version_1_and_runs_with_the_template(api, make_user, app, client):
    username, headers = await make_user()
    created = await _create(api, headers)
    deployed = await api.post(f"{T}/{created['id']}/deploy", json={
        "params": {"greeting": "Howdy", "times": 2}, "name": "My greeter", "run": {"inputs": {"who": "Ann"}}},
        headers=headers)
    assert deployed.status_code == 201, deployed.text
    body = deployed.json()
    workflow = body["workflow"]
    assert (workflow["name"], workflow["latest_version"], workflow["template_id"], workflow["template_version"]) == (
        "My greeter", 1, created["id"], 1)
    assert workflow["definition"]["nodes"][0]["config"]["output"] == {"text": "Howdy, {{ inputs.who }}", "times": 2}
    assert workflow["owner_id"] == (await api.get("/api/v1/auth/me", headers=headers)).json()["id"]
    execution = await wait_finished(api, body["execution_id"], headers)
    assert execution["status"] == "succeeded" and execution["trigger"] == "template"
    result = (await api.get(f"/api/v1/executions/{body['execution_id']}/result", headers=headers)).json()
    assert result["outputs"]["greet"] == {"text": "Howdy, Ann", "times": 2}
    # Every run of the deployed workflow carries the template: the search attribute and the row.
    again = await api.post(f"/api/v1/workflows/{workflow['id']}/executions", json={"inputs": {"who": "Bo"}},
                           headers=headers)
    assert again.status_code == 202, again.text
    await wait_finished(api, again.json()["id"], headers)
    for execution_id in (body["execution_id"], again.json()["id"]):
        described = await client.get_workflow_handle(f"exec-{execution_id}").describe()
        assert described.raw_description.workflow_execution_info.search_attributes.indexed_fields[
            "AgenticTemplate"].data == json.dumps(created["id"]).encode()
    listed = (await api.get("/api/v1/workflows", headers=headers)).json()["items"]
    assert [w["template_id"] for w in listed] == [created["id"]]


async def test_deploy_refuses_bad_params_and_inaccessible_secrets_creating_nothing(api, make_user, app):
    _, headers = await make_user()
    created = await _create(api, headers)
    before = await _count(app, Workflow)
    cases = [({}, "invalid_params", "$.params"), ({"greeting": 3}, "invalid_params", "$.params.greeting"),
             ({"greeting": "hi", "times": 0}, "invalid_params", "$.params.times"),
             ({"greeting": "{{ secrets.X }}"}, "param_not_literal", "$.params.greeting")]
    for values, code, path in cases:
        response = await api.post(f"{T}/{created['id']}/deploy", json={"params": values}, headers=headers)
        assert response.status_code == 422, response.text
        assert any(d["code"] == code and d["path"] == path
                   for d in response.json()["error"]["details"]), response.json()
    # A run's inputs refused: neither the run nor the workflow stays.
    bad_run = await api.post(f"{T}/{created['id']}/deploy", json={
        "params": {"greeting": "hi"}, "run": {"inputs": {"who": 5}}}, headers=headers)
    assert bad_run.status_code == 422 and bad_run.json()["error"]["code"] == "invalid_inputs"
    review = (await api.get(T, params={"q": "Code Review"}, headers=headers)).json()["items"][0]
    await add_secret(api, headers, "GITHUB_TOKEN", "only-one-of-two")
    missing = await api.post(f"{T}/{review['id']}/deploy", json={"params": {"repo": "a/b"}}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "secret_not_accessible"
    assert [d["path"] for d in missing.json()["error"]["details"]] == ["$.template.secrets[1]"]
    assert "LLM_API_KEY" in missing.json()["error"]["message"]
    assert await _count(app, Workflow) == before


async def test_loading_builtins_is_idempotent_and_a_changed_file_is_a_new_version(app, tmp_path: Path):
    directory = tmp_path / "builtin"
    directory.mkdir()
    copied = (BUILTIN_DIR / "code_review.yaml").read_text().replace("name: Code Review", "name: Loader copy", 1)
    (directory / "test_copy_review.yaml").write_text(copied)  # its own name: other tests look up Code Review
    sessions = app.state.agentic.sessions
    # The API loaded the real files at start: loading them again adds nothing.
    async with sessions() as session:
        again = await load_builtins(session)
    assert again.created == [] and again.updated == [] and again.refused == {}
    async with sessions() as session:
        first = await load_builtins(session, directory)
    async with sessions() as session:
        second = await load_builtins(session, directory)
    assert first.created == ["test_copy_review"] and second.unchanged == ["test_copy_review"]
    path = directory / "test_copy_review.yaml"
    text = path.read_text()
    path.write_text(text.replace("category: code-quality", "category: review-demo"))  # changed, same semver
    async with sessions() as session:
        refused = await load_builtins(session, directory)
    assert refused.refused["test_copy_review"][0]["code"] == "version_not_newer"
    path.write_text(text.replace("version: 1.0.0", "version: 1.0.1").replace("category: code-quality",
                                                                             "category: review-demo"))
    async with sessions() as session:
        updated = await load_builtins(session, directory)
    assert updated.updated == ["test_copy_review"]
    async with sessions() as session:
        rows = (await session.scalars(select(Template).where(Template.builtin_key == "test_copy_review"))).all()
        assert len(rows) == 1 and (rows[0].latest_version, rows[0].semver, rows[0].category) == (2, "1.0.1",
                                                                                                  "review-demo")
        rows[0].deleted_at = rows[0].updated_at  # out of the other tests' listings
        await session.commit()


async def test_scheduled_runs_of_a_deployed_workflow_carry_the_template(api, make_user, client):
    _, headers = await make_user()
    created = await _create(api, headers)
    deployed = (await api.post(f"{T}/{created['id']}/deploy", json={"params": {"greeting": "Hi"}},
                               headers=headers)).json()
    schedule = await api.post("/api/v1/enterprise/schedules", headers=headers, json={
        "workflow_id": deployed["workflow"]["id"], "version": "latest", "inputs": {"who": "x"},
        "spec": {"cron_expressions": ["0 0 1 1 *"]}})
    assert schedule.status_code == 201, schedule.text
    handle = client.get_schedule_handle(schedule.json()["temporal_schedule_id"])
    action = (await handle.describe()).schedule.action
    assert {p.key.name: p.value for p in action.typed_search_attributes}["AgenticTemplate"] == created["id"]
    await handle.trigger()  # a run Temporal starts itself, recorded by the workflow
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = (await api.get("/api/v1/executions", params={"schedule_id": schedule.json()["id"]},
                              headers=headers)).json()["items"]
        if runs:
            break
        await asyncio.sleep(0.2)
    finished = await wait_finished(api, runs[0]["id"], headers)
    assert finished["status"] == "succeeded" and finished["template_id"] == created["id"], finished
