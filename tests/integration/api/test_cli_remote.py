"""`agentic` against a real API (the session's app served by uvicorn on a free
port), driven as a user runs it: subprocesses with their own config dir.
Login (prompt and --password-stdin), deploy and new versions, run --follow
printing every node, the result as /result answers it, exit codes (0, 1 for a
failed run, 2 for the API's 4xx, 130 for Ctrl-C, which leaves the run
running), --input-file, the API key header, the credentials file's mode."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .graphs import slow, three_nodes
from .helpers import wait_finished

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def base(served_base: str) -> str:
    return served_base


def _env(config_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AGENTIC_URL", "AGENTIC_API_KEY")}
    return {**env, "AGENTIC_CONFIG_DIR": str(config_dir), **extra}


async def agentic(*args: str, config: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """A subprocess without a terminal (its own session): prompts read stdin."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args, cwd=ROOT, env=_env(config, **env), start_new_session=True,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else b""), 120)
    return subprocess.CompletedProcess(args, process.returncode, stdout.decode(), stderr.decode())


def last_json(done: subprocess.CompletedProcess):
    return json.loads(done.stdout.strip().splitlines()[-1])


def node_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


@pytest.fixture
async def user(make_user):
    """(username, password, headers) of a fresh user."""
    username, headers = await make_user()
    return username, "pw-" + username, headers


@pytest.fixture
async def logged_in(base, user, tmp_path):
    """A config dir holding the user's login."""
    username, password, _ = user
    done = await agentic("login", "--url", base, "--username", username, "--password-stdin",
                         config=tmp_path, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    return tmp_path


async def test_login_stores_the_token_readable_by_the_user_alone(base, user, tmp_path, api):
    username, password, _ = user
    config = tmp_path / "agentic"
    done = await agentic("login", "--url", base + "/", config=config, stdin=f"{username}\n{password}\n")
    assert done.returncode == 0, done.stderr
    assert f"logged in to {base} as {username}" in done.stderr
    path = config / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["url"] == base and stored["username"] == username
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {stored['token']}"})
    assert me.status_code == 200 and me.json()["username"] == username
    listed = await agentic("executions", config=config)  # the stored login is used
    assert listed.returncode == 0, listed.stderr


async def test_login_with_a_wrong_password_stores_nothing(base, user, tmp_path):
    username, _, _ = user
    done = await agentic("login", "--url", base, "--username", username, "--password-stdin",
                         config=tmp_path, stdin="wrong-password\n")
    assert done.returncode == 2
    assert "error: invalid_credentials: wrong username or password" in done.stderr
    assert not (tmp_path / "credentials.json").exists()
    bad_url = await agentic("login", "--url", "ftp://x", config=tmp_path, stdin="a\nb\n")
    assert bad_url.returncode == 2 and "is not an http(s) URL" in bad_url.stderr


async def test_deploy_run_follow_prints_every_node_and_the_result(base, logged_in, user, api, tmp_path):
    _, _, headers = user
    graph = tmp_path / "three.json"
    graph.write_text(json.dumps(three_nodes("cli one")))
    deployed = await agentic("deploy", str(graph), config=logged_in)
    assert deployed.returncode == 0, deployed.stderr
    saved = last_json(deployed)
    assert (saved["name"], saved["version"]) == ("cli one", 1)
    wf_id = saved["id"]

    again = tmp_path / "three.yaml"  # YAML works too: the next version
    again.write_text(yaml.safe_dump(three_nodes("cli two")))
    second = await agentic("deploy", str(again), "--workflow-id", wf_id, config=logged_in)
    assert second.returncode == 0, second.stderr
    assert last_json(second) == {"id": wf_id, "name": "cli two", "version": 2}

    done = await agentic("run", wf_id, "--input", "who=ada", "--follow", config=logged_in)
    assert done.returncode == 0, done.stderr
    result = last_json(done)
    assert result["status"] == "succeeded"
    assert node_lines(done.stderr)[::2] == ["greet: running", "shout: running", "done: running"], done.stderr
    assert [line.split(" in ")[0] for line in node_lines(done.stderr)[1::2]] == [
        "greet: succeeded", "shout: succeeded", "done: succeeded"]
    answered = await api.get(f"/api/v1/executions/{result['id']}/result", headers=headers)
    assert result == answered.json()  # the API's /result, as it answers it
    assert f"started {result['id']}  " in done.stderr

    version_one = await agentic("run", wf_id, "--version", "1", "--input", '{"who": "bob"}', config=logged_in)
    assert version_one.returncode == 0, version_one.stderr
    accepted = last_json(version_one)  # without --follow: the 202's body
    assert (accepted["workflow_id"], accepted["version"]) == (wf_id, 1)
    followed = await agentic("follow", accepted["id"], config=logged_in)
    assert followed.returncode == 0, followed.stderr
    assert last_json(followed)["outputs"]["done"] == {"final": "HELLO BOB"}

    listed = await agentic("executions", "--workflow", wf_id, config=logged_in)
    assert listed.returncode == 0, listed.stderr
    assert {line.split()[0] for line in listed.stdout.splitlines()} == {result["id"], accepted["id"]}
    page = last_json(await agentic("executions", "--workflow", wf_id, "--json", config=logged_in))
    assert page["total"] == 2


async def test_run_takes_an_input_file(base, logged_in, tmp_path):
    graph = tmp_path / "three.json"
    graph.write_text(json.dumps(three_nodes()))
    wf_id = last_json(await agentic("deploy", str(graph), config=logged_in))["id"]
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("who: yaml\n")
    done = await agentic("run", wf_id, "--input-file", str(inputs), "--follow", config=logged_in)
    assert done.returncode == 0, done.stderr
    assert last_json(done)["outputs"]["done"] == {"final": "HELLO YAML"}
    piped = await agentic("run", wf_id, "--input-file", "-", "--follow", config=logged_in, stdin='{"who": "pipe"}')
    assert last_json(piped)["outputs"]["done"] == {"final": "HELLO PIPE"}
    missing = await agentic("run", wf_id, "--input-file", str(tmp_path / "none.yaml"), config=logged_in)
    assert missing.returncode == 2 and "error: cannot read" in missing.stderr


async def test_a_failed_run_exits_1(base, logged_in, tmp_path, server):
    url = server.route("/cli-boom", (500, {}, {"no": "luck"}))
    graph = {"name": "fails", "nodes": [
        {"id": "first", "type": "transform", "config": {"output": 1}},
        {"id": "boom", "type": "http_request", "config": {"url": url}, "retry": {"max_attempts": 1}}],
        "edges": [{"from": "first", "to": "boom"}]}
    path = tmp_path / "fails.json"
    path.write_text(json.dumps(graph))
    wf_id = last_json(await agentic("deploy", str(path), config=logged_in))["id"]
    done = await agentic("run", wf_id, "--follow", config=logged_in)
    assert done.returncode == 1, done.stderr
    result = last_json(done)
    assert result["status"] == "failed" and result["error"]["node"] == "boom"
    lines = node_lines(done.stderr)
    assert lines[:3] == ["first: running", lines[1], "boom: running"] and lines[1].startswith("first: succeeded")
    assert lines[3].startswith("boom: failed in ") and len(lines) == 4
    assert f"{result['id']}: failed" in done.stderr
    again = await agentic("follow", result["id"], config=logged_in)  # after the end: same answer
    assert again.returncode == 1 and last_json(again) == result


async def test_api_refusals_print_their_code_and_exit_2(base, logged_in, make_user, tmp_path):
    unknown = await agentic("run", "0" * 36, config=logged_in)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: not_found: workflow not found"
    assert (await agentic("follow", "0" * 36, config=logged_in)).stderr.strip() == \
        "error: not_found: execution not found"

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"name": "b", "nodes": [{"id": "a", "type": "teleport"}]}))
    refused = await agentic("deploy", str(broken), config=logged_in)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[0] == "error: invalid_definition: the definition has 1 problem(s)"
    assert "  $.nodes[0].type: [unknown_node_type]" in refused.stderr

    graph = tmp_path / "three.json"
    graph.write_text(json.dumps(three_nodes()))
    wf_id = last_json(await agentic("deploy", str(graph), config=logged_in))["id"]
    bad_inputs = await agentic("run", wf_id, "--input", "who=5", config=logged_in)
    assert bad_inputs.returncode == 2 and bad_inputs.stderr.startswith("error: invalid_inputs: ")

    # Another user's workflow is not found; a bad token is refused.
    _, stranger = await make_user()
    token = stranger["Authorization"].split()[1]
    theirs = await agentic("run", wf_id, "--url", base, "--api-key", token, config=tmp_path / "none")
    assert theirs.returncode == 2 and theirs.stderr.strip() == "error: not_found: workflow not found"
    forged = await agentic("executions", config=tmp_path / "none", AGENTIC_URL=base, AGENTIC_API_KEY="agk_forged")
    assert forged.returncode == 2 and forged.stderr.startswith("error: ")
    assert "agentic login" in forged.stderr
    nowhere = await agentic("executions", config=tmp_path / "none")
    assert nowhere.returncode == 2 and "agentic login --url URL" in nowhere.stderr
    traversal = await agentic("follow", "../auth/me", config=logged_in)
    assert traversal.returncode == 2 and "is not a valid execution id" in traversal.stderr


async def test_the_api_key_is_sent_as_a_bearer_token(server, tmp_path):  # noqa: F811
    page = {"items": [], "total": 0, "limit": 50, "offset": 0}
    server.route("/api/v1/executions", (200, {}, page))
    base = server.url("")
    done = await agentic("executions", "--url", base, "--api-key", "agk_from_option", config=tmp_path)
    assert done.returncode == 0, done.stderr
    from_env = await agentic("executions", config=tmp_path, AGENTIC_URL=base, AGENTIC_API_KEY="agk_from_env")
    assert from_env.returncode == 0, from_env.stderr
    sent = [seen.headers.get("authorization") for seen in server.hits("/api/v1/executions")]
    assert sent == ["Bearer agk_from_option", "Bearer agk_from_env"]

    server.route("/api/v1/executions", (200, {}, "<html>a web page</html>"))
    page_not_api = await agentic("executions", "--url", base, "--api-key", "agk_x", config=tmp_path)
    assert page_not_api.returncode == 1 and page_not_api.stderr.startswith("error: not_the_api: ")
    server.route("/api/v1/executions", (502, {}, "<html>bad gateway</html>"))
    down = await agentic("executions", "--url", base, "--api-key", "agk_x", config=tmp_path)
    assert down.returncode == 1 and down.stderr.strip() == "error: http_502: <html>bad gateway</html>"
    gone = await agentic("executions", "--url", "http://127.0.0.1:1", "--api-key", "agk_x", config=tmp_path)
    assert gone.returncode == 1 and gone.stderr.startswith("error: unreachable: cannot reach http://127.0.0.1:1")


async def test_ctrl_c_stops_following_and_leaves_the_run_running(base, logged_in, user, api, tmp_path):
    _, _, headers = user
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(slow("ctrl-c", seconds=3600)))
    wf_id = last_json(await agentic("deploy", str(path), config=logged_in))["id"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "run", wf_id, "--follow", cwd=ROOT, env=_env(logged_in),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    seen = []
    while "wait: running" not in seen:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, seen
        seen.append(line.decode().strip())
    execution_id = seen[0].split()[1]
    process.send_signal(signal.SIGINT)
    rest = await asyncio.wait_for(process.stderr.read(), 60)
    assert await process.wait() == 130
    assert f"stopped following {execution_id}: it keeps running" in rest.decode()
    detail = (await api.get(f"/api/v1/executions/{execution_id}", headers=headers)).json()
    assert detail["status"] == "running" and detail["nodes"]["wait"]["state"] == "running"
    cancelled = await api.post(f"/api/v1/executions/{execution_id}/cancel", headers=headers)
    assert cancelled.status_code == 202
    assert (await wait_finished(api, execution_id, headers))["status"] == "cancelled"
