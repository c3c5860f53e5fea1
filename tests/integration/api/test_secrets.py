"""The credentials store through the API, against the real stack: owned,
shared with roles, write-only, encrypted at rest, checked when a version is
saved and when a run starts, and resolved by the worker with the run owner's
access at the moment each node runs (a revoked share stops the next run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest
from temporalio.client import WorkflowFailureError

from core.db.base import new_id
from api import webhooks
from core.db.models import Secret, User, Webhook, Workflow
from core.db.session import make_engine, make_sessionmaker
from credentials.crypto import Kek, Keyring, Sealed, unseal
from credentials.keys import keyring
from credentials.store import reveal, set_value
from tests.integration.graphs import launch
from tests.integration.local_server import server  # noqa: F401 - the fixture
from workflows.compiler import compile_definition
from workflows.failures import summary_of
from workflows.registry import REGISTRY

from .conftest import ROOT, alembic, create_database, drop_database
from .helpers import wait_finished
from .test_schedules import BASE as SCHEDULES, NEVER, schedules, wait_runs  # noqa: F401 - fixture

SECRETS = "/api/v1/secrets"


@pytest.fixture
def path() -> str:
    return f"/secrets-{uuid.uuid4().hex[:10]}"


def unique(prefix: str = "S") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8].upper()}"


def value() -> str:
    return f"sv-{uuid.uuid4().hex}"


async def me(api, headers) -> dict:
    return (await api.get("/api/v1/auth/me", headers=headers)).json()


async def give_role(api, admin_headers, headers, role: str) -> None:
    user = await me(api, headers)
    response = await api.put(f"/api/v1/auth/users/{user['id']}/roles", json={"roles": [role]}, headers=admin_headers)
    assert response.status_code == 200, response.text


async def create_secret(api, headers, **body) -> dict:
    response = await api.post(SECRETS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def calling(url: str, header: str, name: str = "call with a secret") -> dict:
    return {"name": name, "nodes": [{"id": "call", "type": "http_request", "retry": {"max_attempts": 1},
                                     "config": {"url": url, "headers": {"Authorization": header}}}]}


async def save(api, headers, definition) -> dict:
    response = await api.post("/api/v1/workflows", json=definition, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def run(api, headers, workflow_id: str) -> dict:
    started = await api.post(f"/api/v1/workflows/{workflow_id}/executions", json={"inputs": {}}, headers=headers)
    assert started.status_code == 202, started.text
    return await wait_finished(api, started.json()["id"], headers)


async def start_forged(client, api_settings, definition: dict, owner_id: str | None) -> dict:
    """A run that skips the API's checks: a plan started straight on the worker's
    queue for `owner_id`, signed (as if the signing key had leaked), so the
    worker's own checks are what is tested."""
    plan = compile_definition(definition, REGISTRY)
    eid = uuid.uuid4().hex
    handle = await client.start_workflow("GraphWorkflow", launch(plan=plan, execution_id=eid, owner_id=owner_id),
                                         id=f"exec-{eid}", task_queue=api_settings.temporal_task_queue)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    return summary_of(caught.value.cause)["nodes"]


def refused_names(response) -> tuple[str, list[tuple[str, str]]]:
    body = response.json()["error"]
    return body["code"], sorted((d["code"], d["path"]) for d in body["details"])


# -- the store's API ----------------------------------------------------------------

async def test_no_response_ever_contains_the_value(api, make_user):
    _, alice = await make_user()
    name, secret = unique(), value()
    texts = []
    created = await api.post(SECRETS, json={"name": name, "value": secret, "description": "d"}, headers=alice)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "owner_id", "description", "shared_with", "allowed_hosts", "created_at",
                         "updated_at", "value_updated_at"}
    sid = body["id"]
    texts.append(created.text)
    texts.append((await api.get(SECRETS, headers=alice)).text)
    texts.append((await api.get(f"{SECRETS}/{sid}", headers=alice)).text)
    second = value()
    patched = await api.patch(f"{SECRETS}/{sid}", json={"value": second}, headers=alice)
    assert patched.status_code == 200, patched.text
    assert patched.json()["value_updated_at"] > body["value_updated_at"]
    texts.append(patched.text)
    too_long = await api.patch(f"{SECRETS}/{sid}", json={"value": secret * 5000}, headers=alice)
    assert too_long.status_code == 422
    texts.append(too_long.text)
    again = await api.post(SECRETS, json={"name": name, "value": secret}, headers=alice)
    assert again.status_code == 409 and again.json()["error"]["code"] == "secret_exists"
    texts.append(again.text)
    for text in texts:
        assert secret not in text and second not in text


async def test_values_are_encrypted_in_the_database(api, make_user, database_url, api_settings):
    _, alice = await make_user()
    secret = value()
    sid = (await create_secret(api, alice, name=unique(), value=secret))["id"]
    conn = await asyncpg.connect(database_url)
    try:
        row = dict(await conn.fetchrow("SELECT * FROM secrets WHERE id = $1", sid))
    finally:
        await conn.close()
    raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert secret.encode() not in raw
    assert row["kek_id"] == keyring(api_settings).current.id
    sealed = Sealed(**{k: row[k] for k in ("ciphertext", "nonce", "wrapped_key", "wrap_nonce", "kek_id")})
    assert unseal(sealed, keyring(api_settings), aad=f"secret:{sid}") == secret


@pytest.mark.parametrize("body, path", [
    ({"name": "lower_case", "value": "v"}, "$.body.name"),
    ({"name": "A-B", "value": "v"}, "$.body.name"),
    ({"name": "A" * 65, "value": "v"}, "$.body.name"),
    ({"name": "OK", "value": ""}, "$.body.value"),
    ({"name": "OK"}, "$.body.value"),
    ({"name": "OK", "value": "v", "shared_with": ["ops"]}, "$.body.shared_with[0]"),
    ({"name": "OK", "value": "v", "shared_with": ["user:bob"]}, "$.body.shared_with[0]"),
    ({"name": "OK", "value": "v", "allowed_hosts": ["https://api.example.com/"]}, "$.body.allowed_hosts[0]"),
    ({"name": "OK", "value": "v", "allowed_hosts": ["api.example.com:443"]}, "$.body.allowed_hosts[0]"),
    ({"name": "OK", "value": "v", "owner_id": "someone"}, "$.body.owner_id"),
])
async def test_bad_input_is_422_with_the_path(api, make_user, body, path):
    _, alice = await make_user()
    response = await api.post(SECRETS, json=body, headers=alice)
    assert response.status_code == 422, response.text
    assert path in [d["path"] for d in response.json()["error"]["details"]]


async def test_hosts_are_stored_lower_case(api, make_user):
    _, alice = await make_user()
    got = await create_secret(api, alice, name=unique(), value="v", allowed_hosts=["API.Example.com", "*.b.test"])
    assert got["allowed_hosts"] == ["api.example.com", "*.b.test"]


async def test_others_secrets_answer_404(api, make_user, admin_headers):
    _, alice = await make_user()
    _, bob = await make_user()
    sid = (await create_secret(api, alice, name=unique(), value="v"))["id"]
    for method, body in (("GET", None), ("PATCH", {"description": "mine now"}), ("DELETE", None)):
        response = await api.request(method, f"{SECRETS}/{sid}", json=body, headers=bob)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", method
    assert sid not in [s["id"] for s in (await api.get(SECRETS, headers=bob)).json()["items"]]
    # An admin manages every secret, but never reads a value either.
    assert (await api.get(f"{SECRETS}/{sid}", headers=admin_headers)).status_code == 200
    assert (await api.patch(f"{SECRETS}/{sid}", json={"description": "by admin"},
                            headers=admin_headers)).json()["description"] == "by admin"
    assert (await api.delete(f"{SECRETS}/{sid}", headers=alice)).status_code == 204
    assert (await api.get(f"{SECRETS}/{sid}", headers=alice)).status_code == 404


async def test_an_owner_shares_only_with_roles_they_hold(api, make_user, admin_headers):
    _, alice = await make_user()
    role = f"team-{uuid.uuid4().hex[:6]}"
    refused = await api.post(SECRETS, json={"name": unique(), "value": "v", "shared_with": [f"role:{role}"]},
                             headers=alice)
    assert refused.status_code == 422
    assert refused_names(refused) == ("validation_error", [("share_not_allowed", "$.body.shared_with[0]")])
    await give_role(api, admin_headers, alice, role)
    await create_secret(api, alice, name=unique(), value="v", shared_with=[f"role:{role}"])


# -- using secrets ---------------------------------------------------------------------

@pytest.mark.parametrize("output", ["{{ secrets.%s | reverse }}", "{{ secrets.%s | list | join('-') }}"])
async def test_reshaping_bypasses_are_refused_at_save_with_the_path(api, make_user, output):
    _, alice = await make_user()
    name = unique()
    await create_secret(api, alice, name=name, value="supersecretvalue")
    definition = {"name": "leak", "nodes": [{"id": "t", "type": "transform", "config": {"output": output % name}}]}
    for response in (await api.post("/api/v1/workflows", json=definition, headers=alice),
                     await api.post("/api/v1/workflows/validate", json=definition, headers=alice)):
        assert response.status_code == 422
        assert refused_names(response) == ("invalid_definition", [("secret_not_allowed", "$.nodes[0].config.output")])


async def test_another_users_secret_is_refused_at_save_and_at_run(api, client, api_settings, make_user,
                                                                   server, path):
    _, alice = await make_user()
    _, bob = await make_user()
    name = unique()
    await create_secret(api, alice, name=name, value=value())
    url = server.route(path, "echo")
    definition = calling(url, "Bearer {{ secrets.%s }}" % name)
    refused = await api.post("/api/v1/workflows", json=definition, headers=bob)
    assert refused.status_code == 422
    assert refused_names(refused) == ("secret_not_accessible",
                                      [("secret_not_accessible", "$.nodes[0].config.headers.Authorization")])
    # The same answer as for a name nobody has: nothing says alice has one.
    assert refused.json()["error"]["details"][0]["message"] == f"no secret {name!r} that you may use"

    # A plan started behind the API's back, for bob: the worker refuses it too.
    nodes = await start_forged(client, api_settings, definition, (await me(api, bob))["id"])
    assert nodes["call"]["error"]["code"] == "secret_not_accessible"
    assert server.hits(path) == []


async def test_a_role_share_works_and_revoking_it_stops_the_next_run(api, make_user, admin_headers, server, path):
    _, alice = await make_user()
    _, bob = await make_user()
    role = f"team-{uuid.uuid4().hex[:6]}"
    for headers in (alice, bob):
        await give_role(api, admin_headers, headers, role)
    name, secret = unique(), value()
    sid = (await create_secret(api, alice, name=name, value=secret, shared_with=[f"role:{role}"]))["id"]
    # bob sees the metadata, may use it, may not change it.
    assert (await api.get(f"{SECRETS}/{sid}", headers=bob)).status_code == 200
    assert (await api.patch(f"{SECRETS}/{sid}", json={"shared_with": []}, headers=bob)).status_code == 403

    url = server.route(path, "echo")
    wf = await save(api, bob, calling(url, "Bearer {{ secrets.%s }}" % name))
    done = await run(api, bob, wf["id"])
    assert done["status"] == "succeeded", done
    assert server.hits(path)[0].headers["authorization"] == f"Bearer {secret}"
    assert done["nodes"]["call"]["output"]["body"]["headers"]["authorization"] == "Bearer ***"
    assert secret not in json.dumps(done)

    revoked = await api.patch(f"{SECRETS}/{sid}", json={"shared_with": []}, headers=alice)
    assert revoked.status_code == 200 and revoked.json()["shared_with"] == []
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"inputs": {}}, headers=bob)
    assert started.status_code == 422
    assert refused_names(started) == ("secret_not_accessible",
                                      [("secret_not_accessible", "$.nodes.call.config.headers.Authorization")])
    assert len(server.hits(path)) == 1


async def test_a_revoked_share_fails_the_next_scheduled_run(api, make_user, admin_headers, schedules,  # noqa: F811
                                                            server, path):
    _, alice = await make_user()
    _, bob = await make_user()
    role = f"team-{uuid.uuid4().hex[:6]}"
    for headers in (alice, bob):
        await give_role(api, admin_headers, headers, role)
    name = unique()
    sid = (await create_secret(api, alice, name=name, value=value(), shared_with=[f"role:{role}"]))["id"]
    wf = await save(api, bob, calling(server.route(path, "echo"), "{{ secrets.%s }}" % name))
    schedule = await schedules(bob, workflow_id=wf["id"], version="latest", spec={"cron_expressions": [NEVER]},
                               paused=True)

    assert (await api.patch(f"{SECRETS}/{sid}", json={"shared_with": []}, headers=alice)).status_code == 200
    # A manual trigger is checked as any start is: refused at once.
    triggered = await api.post(f"{SCHEDULES}/{schedule['id']}/trigger", headers=bob)
    assert triggered.status_code == 422 and triggered.json()["error"]["code"] == "secret_not_accessible"
    # A run Temporal starts (a backfill of one past time) meets the worker's check.
    backfill = await api.post(f"{SCHEDULES}/{schedule['id']}/backfill", headers=bob, json={
        "start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-01T00:00:30Z"})
    assert backfill.status_code == 202, backfill.text
    runs = await wait_runs(api, schedule["id"], bob, 1, finished=False)
    done = await wait_finished(api, runs[0]["execution_id"], bob)
    assert done["status"] == "failed"
    assert done["nodes"]["call"]["error"]["code"] == "secret_not_accessible"
    assert server.hits(path) == []


async def test_a_secret_bound_to_hosts_goes_nowhere_else(api, make_user, server, path):
    _, alice = await make_user()
    name = unique()
    sid = (await create_secret(api, alice, name=name, value=value(), allowed_hosts=["api.example.com"]))["id"]
    wf = await save(api, alice, calling(server.route(path, "echo"), "Bearer {{ secrets.%s }}" % name))
    done = await run(api, alice, wf["id"])
    assert done["status"] == "failed"
    error = done["nodes"]["call"]["error"]
    assert error["code"] == "secret_host_not_allowed"
    assert error["message"] == f"secret {name!r} may only be sent to api.example.com, not to '127.0.0.1'"
    assert server.hits(path) == []

    await api.patch(f"{SECRETS}/{sid}", json={"allowed_hosts": ["127.0.0.1"]}, headers=alice)
    assert (await run(api, alice, wf["id"]))["status"] == "succeeded"
    assert len(server.hits(path)) == 1


async def test_environment_secrets_need_an_admin_or_a_grant(api, client, api_settings, make_user, admin_headers,
                                                            server, path, monkeypatch):
    name, secret = unique("ENV"), value()
    monkeypatch.setenv(f"AGENTIC_SECRET_{name}", secret)  # the worker runs in this process
    url = server.route(path, "echo")
    definition = calling(url, "{{ secrets.%s }}" % name)
    _, alice = await make_user()

    refused = await api.post("/api/v1/workflows", json=definition, headers=alice)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "secret_not_accessible"
    nodes = await start_forged(client, api_settings, definition, (await me(api, alice))["id"])
    assert nodes["call"]["error"]["code"] == "secret_not_accessible"
    assert server.hits(path) == []

    admin_wf = await save(api, admin_headers, definition)
    assert (await run(api, admin_headers, admin_wf["id"]))["status"] == "succeeded"
    assert server.hits(path)[-1].headers["authorization"] == secret

    # An operator grant to a role opens it to that role's users (API and worker read the same setting).
    role = f"ops-{uuid.uuid4().hex[:6]}"
    await give_role(api, admin_headers, alice, role)
    monkeypatch.setattr(api_settings, "env_secret_grants", {name: [f"role:{role}"]})
    wf = await save(api, alice, definition)
    assert (await run(api, alice, wf["id"]))["status"] == "succeeded"
    assert len(server.hits(path)) == 2
    monkeypatch.setattr(api_settings, "env_secret_grants", {})
    again = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"inputs": {}}, headers=alice)
    assert again.status_code == 422 and again.json()["error"]["code"] == "secret_not_accessible"


async def test_rotation_rewraps_every_row_with_the_new_key(tmp_path):
    """`agentic rewrap-secrets` on its own database (it touches every row)."""
    old, new = "old-master-" + "o" * 40, "new-master-" + "n" * 40
    url = await create_database()
    try:
        alembic(url, "upgrade", "head")
        engine = make_engine(url, pool_size=1)
        async with make_sessionmaker(engine)() as session:
            user = User(username=f"u{uuid.uuid4().hex[:8]}", password_hash="x")
            session.add(user)
            await session.flush()
            row = Secret(id=new_id(), owner_id=user.id, name="ROTATED")
            set_value(row, "rotate-me", Keyring(Kek.derive(old)))
            session.add(row)
            wf = Workflow(owner_id=user.id, name="hooked")
            session.add(wf)
            await session.flush()
            hook = Webhook(id=new_id(), workflow_id=wf.id, owner_id=user.id, token_hash="h" * 64, signature="github")
            webhooks.set_secret(hook, "hook-secret-rotate-me", Keyring(Kek.derive(old)))
            session.add(hook)
            await session.commit()
        env = {**os.environ, "AGENTIC_DATABASE_URL": url, "AGENTIC_SECRETS_MASTER_KEY": new,
               "AGENTIC_SECRETS_PREVIOUS_MASTER_KEYS": json.dumps([old]), "AGENTIC_DATA_DIR": str(tmp_path)}
        # and a second run changes nothing
        for expected in ("1 secret(s) and 1 webhook", "0 secret(s) and 0 webhook"):
            done = subprocess.run([sys.executable, "-m", "cli.main", "rewrap-secrets"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith(expected), done.stdout
        async with make_sessionmaker(engine)() as session:
            moved = await session.get(Secret, row.id)
            assert moved.kek_id == Kek.derive(new).id
            assert reveal(moved, Keyring(Kek.derive(new))) == "rotate-me"  # the old key can go
            moved_hook = await session.get(Webhook, hook.id)
            assert webhooks.secret_of(moved_hook, Keyring(Kek.derive(new))) == "hook-secret-rotate-me"
        await engine.dispose()
    finally:
        await drop_database(url)
