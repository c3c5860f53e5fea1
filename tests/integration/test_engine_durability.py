"""Durable timers under time skipping, and a worker killed mid-graph."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import data_converter
from tests.integration.graphs import graph, launch, node, start
from worker.app import build_worker
from workflows.compiler import compile_definition
from workflows.graph_workflow import GraphWorkflow
from workflows.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


async def test_delay_is_a_durable_timer_under_time_skipping():
    test_server = Path(sys.executable).with_name("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(Settings()), test_server_existing_path=str(test_server)
    ) as env:
        plan = compile_definition(graph(
            [node("wait", "delay", {"seconds": "{{ inputs.hours * 3600 }}"}),
             node("after", "transform", {"output": "done"})], [("wait", "after")]), REGISTRY)
        task_queue = f"skip-{uuid.uuid4().hex[:8]}"
        async with build_worker(env.client, Settings(), task_queue=task_queue):
            began = time.monotonic()
            result = await env.client.execute_workflow(
                GraphWorkflow.run, launch(plan=plan, inputs={"hours": 5}, execution_id="skip"),
                id=f"exec-skip-{uuid.uuid4().hex[:6]}", task_queue=task_queue,
                execution_timeout=timedelta(days=1))
    assert time.monotonic() - began < 10
    assert result.nodes["wait"].output == {"slept_s": 18000.0}
    started = result.nodes["wait"].started_at
    finished = result.nodes["wait"].finished_at
    from datetime import datetime
    assert (datetime.fromisoformat(finished) - datetime.fromisoformat(started)) >= timedelta(hours=5)
    assert result.nodes["after"].output == "done"


def spawn_worker(temporal_address: str, task_queue: str) -> subprocess.Popen:
    env = {**os.environ, "AGENTIC_TEMPORAL_ADDRESS": temporal_address,
           "AGENTIC_TEMPORAL_TASK_QUEUE": task_queue, "AGENTIC_SHELL_ENABLED": "true"}
    env.pop("AGENTIC_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_worker_killed_mid_graph_execution_completes_without_rerunning(
        client, task_queue, temporal_address, tmp_path):
    log = tmp_path / "side-effects"

    def step(name: str, then: str = "") -> dict:
        return node(name, "shell", {"argv": ["sh", "-c", f"echo {name} >> {log}{then}"]})

    definition = graph(
        [step("one"), step("two", "; sleep 4"), step("three")],
        [("one", "two"), ("two", "three")])
    first = spawn_worker(temporal_address, task_queue)
    try:
        handle = await start(client, task_queue, definition)
        deadline = time.monotonic() + 30
        while not (log.exists() and "two" in log.read_text()):
            assert time.monotonic() < deadline, "node two never started"
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = spawn_worker(temporal_address, task_queue)
        try:
            result = await asyncio.wait_for(handle.result(), timeout=60)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert result.status == "succeeded"
    lines = log.read_text().split()
    assert lines.count("one") == 1, "a completed node ran again"
    assert lines.count("three") == 1
    # `two` was interrupted mid-flight, so it ran again: at-least-once, as Temporal promises.
    assert lines.count("two") == 2
    assert result.nodes["two"].attempts == 2
