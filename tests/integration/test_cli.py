"""`agentic run` and `agentic validate` as a user runs them: subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.local_server import server  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _env(address: str, task_queue: str) -> dict[str, str]:
    return {**os.environ, "AGENTIC_TEMPORAL_ADDRESS": address, "AGENTIC_TEMPORAL_TASK_QUEUE": task_queue}


def agentic(*args: str, address: str, task_queue: str) -> subprocess.CompletedProcess:
    """For commands that need no worker."""
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=_env(address, task_queue),
                          capture_output=True, text=True, timeout=120)


async def agentic_run(*args: str, address: str, task_queue: str) -> subprocess.CompletedProcess:
    """Without blocking the event loop the in-process worker runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "run", *args, cwd=ROOT, env=_env(address, task_queue),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    return subprocess.CompletedProcess(args, process.returncode, stdout.decode(), stderr.decode())


@pytest.mark.parametrize("example, inputs, expected", [
    ("parallel.json", {"name": "ada"}, {"join": {"greetings": ["Hello, Ada!", "Bonjour, Ada !", "Hallo, Ada!"]}}),
    ("condition.json", {"amount": 5}, {"auto": {"decision": "auto-approved", "amount": 5}}),
])
async def test_run_prints_progress_and_result(example, inputs, expected, temporal_address, task_queue, worker):
    done = await agentic_run(str(EXAMPLES / example), "--input", json.dumps(inputs),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "succeeded"
    for node_id, output in expected.items():
        assert result["nodes"][node_id]["output"] == output
        assert f"{node_id}: succeeded" in done.stderr
    assert "started exec-" in done.stderr


async def test_http_example_fetches_the_url_it_is_given(temporal_address, task_queue, worker, server):
    url = server.route("/status", (200, {}, {"ok": True}))
    done = await agentic_run(str(EXAMPLES / "http.json"), "--input", json.dumps({"url": url}),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    summary = result["nodes"]["summary"]["output"]
    assert (summary["url"], summary["http_status"], summary["content_type"]) == (url, 200, "application/json")
    assert len(server.hits("/status")) == 1


async def test_http_example_cannot_reach_the_platform(temporal_address, task_queue, worker):
    """What the old example did (call the Temporal Web UI's API) is refused now."""
    done = await agentic_run(str(EXAMPLES / "http.json"), "--input",
                             json.dumps({"url": f"http://{temporal_address}/api/v1/namespaces/default"}),
                             address=temporal_address, task_queue=task_queue)
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["nodes"]["fetch"]["error"]["code"] == "destination_not_allowed"
    assert "fetch: failed" in done.stderr and "one of the platform's own endpoints" in done.stderr


async def test_run_exits_non_zero_on_failure(temporal_address, task_queue, worker, tmp_path):
    graph = {"name": "fails", "nodes": [{"id": "bad", "type": "shell", "config": {"argv": ["false"]}}]}
    path = tmp_path / "fails.json"
    path.write_text(json.dumps(graph))
    done = await agentic_run(str(path), address=temporal_address, task_queue=task_queue)
    assert done.returncode == 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed"
    assert result["nodes"]["bad"]["error"]["code"] == "shell_exit_code"
    assert "bad: failed" in done.stderr


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
