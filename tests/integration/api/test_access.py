"""The access matrix: every route x (anonymous, wrong scope, other user, owner, admin),
and again with API keys (a key with the route's scope, a key with another)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .conftest import login
from .graphs import slow, three_nodes
from .helpers import wait_finished


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {wf}, {ex} and {key} are filled with the owner's resources, {user} with the owner's id
    scope: str | None  # the scope the route requires (None: any valid token)
    ok: int
    needs: str = "wf"  # "none", "wf", "done" (finished execution), "running", "key" (an API key)
    body: dict | None = None
    listing: bool = False  # other users get 200 without the owner's items
    admin_only: bool = False
    by_key: int | None = None  # what an API key with the route's scope gets, when not `ok`


ROUTES = [
    Route("GET", "/api/v1/auth/me", None, 200, needs="none"),
    Route("GET", "/api/v1/workflows", "read", 200, listing=True),
    Route("POST", "/api/v1/workflows", "write", 201, needs="none", body=three_nodes()),
    Route("POST", "/api/v1/workflows/validate", "read", 200, needs="none", body=three_nodes()),
    Route("GET", "/api/v1/workflows/{wf}", "read", 200),
    Route("PUT", "/api/v1/workflows/{wf}", "write", 200, body=three_nodes("renamed")),
    Route("DELETE", "/api/v1/workflows/{wf}", "delete", 204),
    Route("GET", "/api/v1/workflows/{wf}/versions", "read", 200),
    Route("GET", "/api/v1/workflows/{wf}/versions/1", "read", 200),
    Route("GET", "/api/v1/workflows/{wf}/graph", "read", 200),
    Route("POST", "/api/v1/workflows/{wf}/executions", "execute", 202, body={"inputs": {"who": "x"}}),
    Route("GET", "/api/v1/workflows/{wf}/executions", "read", 200, needs="done"),
    Route("GET", "/api/v1/executions", "read", 200, needs="done", listing=True),
    Route("GET", "/api/v1/executions/{ex}", "read", 200, needs="done"),
    Route("GET", "/api/v1/executions/{ex}/result", "read", 200, needs="done"),
    Route("POST", "/api/v1/executions/{ex}/cancel", "execute", 202, needs="running"),
    Route("POST", "/api/v1/executions/{ex}/terminate", "admin", 202, needs="running", admin_only=True),
    Route("PUT", "/api/v1/auth/users/{user}/roles", "admin", 200, needs="none", body={"roles": ["lead"]},
          admin_only=True),
    Route("POST", "/api/v1/auth/api-keys", None, 201, needs="none", body={"name": "ci", "scopes": ["read"]},
          by_key=403),
    Route("GET", "/api/v1/auth/api-keys", None, 200, needs="key", listing=True),
    Route("GET", "/api/v1/monitoring/stats", "read", 200, needs="none"),
    Route("GET", "/api/v1/auth/users", "admin", 200, needs="none", admin_only=True),
    # Disabling is in test_users.py: here it would end the owner's account for the routes after it.
    Route("POST", "/api/v1/auth/users/{user}/enable", "admin", 200, needs="none", admin_only=True),
    Route("DELETE", "/api/v1/auth/api-keys/{key}", None, 204, needs="key"),
]
KEYS = "/api/v1/auth/api-keys"
WRONG_SCOPE = {"read": "write", "write": "read", "execute": "read", "delete": "read write", "admin": None}


@pytest.fixture(scope="module")
async def people(api, admin_headers):
    tokens = {"admin": admin_headers}
    for who in ("owner", "other"):
        username = f"{who}{id(tokens)}"
        response = await api.post("/api/v1/auth/register", json={"username": username, "password": "password-" + who})
        assert response.status_code == 201, response.text
        tokens[who] = await login(api, username, "password-" + who)
        tokens[who + "_name"] = username
        tokens[who + "_id"] = (await api.get("/api/v1/auth/me", headers=tokens[who])).json()["id"]
    for scope in ("read", "write", "read write"):
        tokens["owner:" + scope] = await login(api, tokens["owner_name"], "password-owner", scope)
    return tokens


async def owner_resources(api, people, needs: str) -> dict:
    if needs == "none":
        return {"wf": "-", "ex": "-", "key": "-", "user": people["owner_id"]}
    headers = people["owner"]
    if needs == "key":
        key = await api.post(KEYS, json={"name": "matrix", "scopes": ["read"]}, headers=headers)
        assert key.status_code == 201, key.text
        return {"wf": "-", "ex": "-", "key": key.json()["id"], "user": people["owner_id"]}
    definition = slow("running", 60) if needs == "running" else three_nodes()
    wf = (await api.post("/api/v1/workflows", json=definition, headers=headers)).json()
    out = {"wf": wf["id"], "ex": "-", "key": "-", "user": people["owner_id"]}
    if needs in ("done", "running"):
        body = {"inputs": {"who": "x"}} if needs == "done" else {}
        ex = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json=body, headers=headers)
        assert ex.status_code == 202, ex.text
        out["ex"] = ex.json()["id"]
        if needs == "done":
            await wait_finished(api, out["ex"], headers)
    return out


async def call(api, route: Route, ids: dict, headers: dict | None):
    path = route.path.format(**ids)
    return await api.request(route.method, path, json=route.body, headers=headers or {})


def contains(response, ids: dict) -> bool:
    return any(item["id"] in (ids["wf"], ids["ex"], ids["key"]) for item in response.json()["items"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_access(api, people, route):
    ids = await owner_resources(api, people, route.needs)

    anonymous = await call(api, route, ids, None)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "unauthorized"

    if route.scope is not None:
        wrong = WRONG_SCOPE[route.scope]
        headers = people["owner" if wrong is None else "owner:" + wrong]
        denied = await call(api, route, ids, headers)
        assert denied.status_code == 403, denied.text
        assert denied.json()["error"]["code"] == "insufficient_scope"

    other = await call(api, route, ids, people["other"])
    if route.admin_only:
        assert other.status_code == 403
    elif route.listing:
        assert other.status_code == 200 and not contains(other, ids)
    elif "{" in route.path:
        assert other.status_code == 404, other.text
        assert other.json()["error"]["code"] == "not_found"
    else:
        assert other.status_code == route.ok

    owner = await call(api, route, ids, people["owner"])
    if route.admin_only:
        assert owner.status_code == 403, owner.text
    else:
        assert owner.status_code == route.ok, owner.text
        if route.listing:
            assert contains(owner, ids)

    if route.method != "GET" and route.needs != "none":
        ids = await owner_resources(api, people, route.needs)  # the owner's call consumed them
    admin = await call(api, route, ids, people["admin"])
    assert admin.status_code == route.ok, admin.text
    if route.listing:
        assert contains(admin, ids)


async def api_key(api, headers: dict, scopes: list[str]) -> tuple[str, dict]:
    response = await api.post(KEYS, json={"name": "matrix", "scopes": scopes}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], {"Authorization": f"Bearer {response.json()['key']}"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_access_with_api_keys(api, people, route):
    """A key acts as its owner with its scopes only: the route's scope lets it in,
    another scope gets 403; the same 404 for other users' resources."""
    creator = people["admin" if route.admin_only else "owner"]
    made = []
    if route.scope is not None and WRONG_SCOPE[route.scope] is not None:
        key_id, wrong = await api_key(api, creator, WRONG_SCOPE[route.scope].split())
        made.append((creator, key_id))
        ids = await owner_resources(api, people, route.needs)
        denied = await call(api, route, ids, wrong)
        assert denied.status_code == 403, denied.text
        assert denied.json()["error"]["code"] == "insufficient_scope"
    key_id, right = await api_key(api, creator, [route.scope or "read"])
    made.append((creator, key_id))
    ids = await owner_resources(api, people, route.needs)
    answer = await call(api, route, ids, right)
    assert answer.status_code == (route.by_key or route.ok), answer.text
    if route.listing:
        assert contains(answer, ids)
    if "{" in route.path and not route.admin_only:
        key_id, others = await api_key(api, people["other"], [route.scope or "read"])
        made.append((people["other"], key_id))
        ids = await owner_resources(api, people, route.needs)
        other = await call(api, route, ids, others)
        assert other.status_code == 404, other.text
    for headers, key_id in made:  # live keys per user are limited
        await api.delete(f"{KEYS}/{key_id}", headers=headers)


async def test_admin_only_person_may_hold_admin_scope(api, people):
    response = await api.post("/api/v1/auth/token",
                              data={"username": people["owner_name"], "password": "password-owner", "scope": "admin"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


async def test_privileged_node_type_needs_admin(api, people):
    from .graphs import SHELL

    denied = await api.post("/api/v1/workflows", json=SHELL, headers=people["owner"])
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "privileged_node_type"
    allowed = await api.post("/api/v1/workflows", json=SHELL, headers=people["admin"])
    assert allowed.status_code == 201, allowed.text


async def test_deleted_workflow_is_gone(api, people):
    ids = await owner_resources(api, people, "wf")
    assert (await api.delete(f"/api/v1/workflows/{ids['wf']}", headers=people["owner"])).status_code == 204
    assert (await api.get(f"/api/v1/workflows/{ids['wf']}", headers=people["owner"])).status_code == 404
    listed = await api.get("/api/v1/workflows", headers=people["owner"])
    assert not contains(listed, ids)
