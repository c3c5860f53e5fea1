"""`agentic run FILE` and `agentic validate` as a user runs them: subprocesses
(the API mode: tests/integration/api/test_cli_remote.py)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.local_server import server  # noqa: F401 - the fixture
from workflows.results import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _env(address: str, task_queue: str) -> dict[str, str]:
    return {**os.environ, "AGENTIC_TEMPORAL_ADDRESS": address, "AGENTIC_TEMPORAL_TASK_QUEUE": task_queue}


def agentic(*args: str, address: str, task_queue: str) -> subprocess.CompletedProcess:
    """For commands that need no worker."""
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=_env(address, task_queue),
                          capture_output=True, text=True, timeout=120)


async def agentic_run(*args: str, address: str, task_queue: str, stdin: str | None = None
                      ) -> subprocess.CompletedProcess:
    """Without blocking the event loop the in-process worker runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "run", *args, cwd=ROOT, env=_env(address, task_queue),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), 120)
    return subprocess.CompletedProcess(args, process.returncode, stdout.decode(), stderr.decode())


def node_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("example, inputs, expected", [
    ("parallel.json", {"name": "ada"}, {"join": {"greetings": ["Hello, Ada!", "Bonjour, Ada !", "Hallo, Ada!"]}}),
    ("condition.json", {"amount": 5}, {"auto": {"decision": "auto-approved", "amount": 5}}),
])
async def test_run_prints_progress_and_result(example, inputs, expected, temporal_address, task_queue, worker):
    done = await agentic_run(str(EXAMPLES / example), "--input", json.dumps(inputs),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "succeeded" and result["error"] is None
    assert set(result) == set(ExecutionResult.model_fields)  # the API's /result shape
    for node_id, output in expected.items():
        assert result["outputs"][node_id] == output
    # Every node of the plan, once as it starts and once as it ends (or once, skipped).
    plan_nodes = [n["id"] for n in json.loads((EXAMPLES / example).read_text())["nodes"]]
    lines = node_lines(done.stderr)
    for node_id in plan_nodes:
        mine = [line for line in lines if line.startswith(f"{node_id}: ")]
        assert mine in ([f"{node_id}: skipped"], [f"{node_id}: running", mine[-1]]), lines
        assert mine[-1].startswith((f"{node_id}: succeeded in ", f"{node_id}: skipped")), lines
    assert len(lines) == sum(1 for line in lines if line.split(":")[0] in plan_nodes)


async def test_run_names_its_execution_as_the_api_does(temporal_address, task_queue, worker, client):
    """One id form everywhere: the execution id the API would print (a UUID),
    and `exec-<id>` as its Temporal workflow id."""
    done = await agentic_run(str(EXAMPLES / "parallel.json"), "--input", "name=ada",
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    started = re.search(r"^started (\S+)  (\S+)$", done.stderr, re.M)
    assert started, done.stderr
    execution_id = started.group(1)
    assert str(uuid.UUID(execution_id)) == execution_id
    assert json.loads(done.stdout.strip().splitlines()[-1])["id"] == execution_id
    assert f"/workflows/exec-{execution_id}/" in started.group(2)
    described = await client.get_workflow_handle(f"exec-{execution_id}").describe()
    assert described.status.name == "COMPLETED"


@pytest.mark.parametrize("how", ["yaml", "json", "stdin"])
async def test_run_takes_an_input_file(how, temporal_address, task_queue, worker, tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text("amount: 7\n" if how == "yaml" else '{"amount": 7}')
    args = ["--input-file", "-"] if how == "stdin" else ["--input-file", str(path)]
    done = await agentic_run(str(EXAMPLES / "condition.json"), *args, address=temporal_address,
                             task_queue=task_queue, stdin="amount: 7" if how == "stdin" else None)
    assert done.returncode == 0, done.stderr
    outputs = json.loads(done.stdout.strip().splitlines()[-1])["outputs"]
    assert outputs["auto"] == {"decision": "auto-approved", "amount": 7}, outputs


async def test_an_input_option_overrides_the_file(temporal_address, task_queue, worker, tmp_path):
    path = tmp_path / "inputs.json"
    path.write_text('{"amount": 500}')
    done = await agentic_run(str(EXAMPLES / "condition.json"), "--input-file", str(path), "--input", "amount=5",
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["outputs"]["auto"] == {
        "decision": "auto-approved", "amount": 5}


async def test_http_example_fetches_the_url_it_is_given(temporal_address, task_queue, worker, server):
    url = server.route("/status", (200, {}, {"ok": True}))
    done = await agentic_run(str(EXAMPLES / "http.json"), "--input", json.dumps({"url": url}),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    summary = result["outputs"]["summary"]
    assert (summary["url"], summary["http_status"], summary["content_type"]) == (url, 200, "application/json")
    assert len(server.hits("/status")) == 1


async def test_http_example_cannot_reach_the_platform(temporal_address, task_queue, worker):
    """What the old example did (call the Temporal Web UI's API) is refused now."""
    done = await agentic_run(str(EXAMPLES / "http.json"), "--input",
                             json.dumps({"url": f"http://{temporal_address}/api/v1/namespaces/default"}),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed"
    assert (result["error"]["node"], result["error"]["code"]) == ("fetch", "destination_not_allowed")
    assert "fetch: failed" in done.stderr and "one of the platform's own endpoints" in done.stderr


async def test_run_exits_non_zero_on_failure(temporal_address, task_queue, worker, tmp_path):
    graph = {"name": "fails", "nodes": [{"id": "bad", "type": "shell", "config": {"argv": ["false"]}}]}
    path = tmp_path / "fails.json"
    path.write_text(json.dumps(graph))
    done = await agentic_run(str(path), address=temporal_address, task_queue=task_queue)
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed"
    assert (result["error"]["node"], result["error"]["code"]) == ("bad", "shell_exit_code")
    assert "bad: failed" in done.stderr


def test_run_of_an_unknown_target_says_what_it_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTIC_CONFIG_DIR", str(tmp_path))  # no login stored
    monkeypatch.delenv("AGENTIC_URL", raising=False)
    done = agentic("run", "mistyped", address="127.0.0.1:1", task_queue="unused")
    assert done.returncode == 2
    assert done.stderr.startswith("error: mistyped is not a graph file; as a workflow id: no API to talk to")
    remote_only = agentic("run", str(EXAMPLES / "parallel.json"), "--url", "http://127.0.0.1:1",
                          address="127.0.0.1:1", task_queue="unused")
    assert remote_only.returncode == 2 and "a file runs locally as it is" in remote_only.stderr


def test_run_refuses_a_bad_input_file(tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text("- not\n- an object\n")
    done = agentic("run", str(EXAMPLES / "condition.json"), "--input-file", str(path),
                   address="127.0.0.1:1", task_queue="unused")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --input-file {path}: expected an object of inputs, got list"


def test_run_refuses_bad_inputs_before_starting(tmp_path):
    done = agentic("run", str(EXAMPLES / "condition.json"), "--input", '{"amount": "lots"}',
                   address="127.0.0.1:1", task_queue="unused")
    assert done.returncode == 1
    assert "$.inputs.amount: [invalid_run_inputs]" in done.stderr


def test_validate_lists_every_problem(tmp_path):
    broken = {"name": "broken", "nodes": [
        {"id": "a", "type": "transform", "config": {"output": "{{ nodes.b.output }}"}},
        {"id": "a", "type": "teleport"}], "edges": [{"from": "a", "to": "zz"}]}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    done = agentic("validate", str(path), address="127.0.0.1:1", task_queue="unused")
    assert done.returncode == 1
    assert "$.nodes[1].id: [duplicate_node_id]" in done.stderr
    assert "$.nodes[1].type: [unknown_node_type]" in done.stderr
    assert "$.edges[0].to: [edge_unknown_target]" in done.stderr
    assert "$.nodes[0].config.output: [expression_unknown_node]" in done.stderr
    ok = agentic("validate", str(EXAMPLES / "http.json"), address="127.0.0.1:1", task_queue="unused")
    assert ok.returncode == 0 and ok.stdout.strip() == "valid"


async def test_ctrl_c_stops_watching_not_the_run(temporal_address, task_queue, worker, client, tmp_path):
    graph = {"name": "long", "nodes": [{"id": "nap", "type": "delay", "config": {"seconds": 3600}}]}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(graph))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "run", str(path), cwd=ROOT, env=_env(temporal_address, task_queue),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    seen: list[str] = []
    while "nap: running" not in seen:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, seen
        seen.append(line.decode().strip())
    execution_id = seen[0].split()[1]
    process.send_signal(signal.SIGINT)
    rest = (await asyncio.wait_for(process.stderr.read(), 60)).decode()
    assert await process.wait() == 130
    assert f"stopped following {execution_id}: it keeps running" in rest
    handle = client.get_workflow_handle(f"exec-{execution_id}")
    assert (await handle.describe()).status.name == "RUNNING"
    await handle.terminate("test cleanup")
