"""The shell node: argv only, fresh temporary directory, env allow-list, caps, and off by default."""

from __future__ import annotations

import asyncio
import glob
import os
import tempfile
import time

import pytest
from temporalio.client import WorkflowFailureError

from tests.integration.graphs import failed_summary, graph, node, run, start
from workflows.failures import summary_of

FAST_RETRY = {"max_attempts": 2, "initial_interval_s": 0.1, "backoff": 1.0, "max_interval_s": 0.1}


def shell_node(node_id: str, config: dict, **extra) -> dict:
    return node(node_id, "shell", config, timeout_s=extra.pop("timeout_s", 10), **extra)


async def test_echo(client, task_queue, worker):
    result = await run(client, task_queue, graph([shell_node("sh", {"argv": ["echo", "hi"]})]))
    sh = result.nodes["sh"]
    assert sh.state == "succeeded"
    assert sh.attempts == 1
    assert sh.output["stdout"] == "hi\n"
    assert sh.output["stderr"] == ""
    assert sh.output["exit_code"] == 0
    assert sh.output["truncated"] is False
    assert sh.output["duration_ms"] >= 0


async def test_argv_is_not_interpreted_by_a_shell(client, task_queue, worker):
    result = await run(client, task_queue, graph([shell_node("sh", {"argv": ["echo", "$HOME; `id` | x"]})]))
    assert result.nodes["sh"].output["stdout"] == "$HOME; `id` | x\n"


async def test_argv_templates_and_stdin(client, task_queue, worker):
    result = await run(client, task_queue, graph([
        shell_node("sh", {"argv": ["tr", "a-z", "A-Z"], "stdin": "hello {{ inputs.name }}"})]),
        {"name": "ada"})
    assert result.nodes["sh"].output["stdout"] == "HELLO ADA"


async def test_runs_in_a_fresh_temporary_directory(client, task_queue, worker):
    # Each run leaves a file behind in its cwd and lists what it found there first.
    argv = ["sh", "-c", "ls -A; pwd; touch leftover"]
    definition = graph([shell_node("one", {"argv": argv}), shell_node("two", {"argv": argv})], [("one", "two")])
    first = await run(client, task_queue, definition)
    second = await run(client, task_queue, definition)

    dirs = []
    for result in (first, second):
        for node_id in ("one", "two"):
            stdout = result.nodes[node_id].output["stdout"]
            assert stdout.count("\n") == 1, f"cwd was not empty: {stdout!r}"
            dirs.append(stdout.strip())
    assert len(set(dirs)) == 4
    tmp_root = os.path.realpath(tempfile.gettempdir())
    for directory in dirs:
        assert os.path.realpath(directory).startswith(tmp_root + os.sep)
        assert not os.path.exists(directory), f"{directory} was not removed"


async def test_env_allow_list(client, task_queue, worker, monkeypatch):
    monkeypatch.setenv("AGENTIC_TEST_HIDDEN", "should-not-leak")
    monkeypatch.setenv("TZ", "UTC")  # allow-listed by default
    definition = graph([shell_node("sh", {"argv": ["env"], "env": {"GREETING": "hello there"}})])
    result = await run(client, task_queue, definition)

    lines = result.nodes["sh"].output["stdout"].splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert "AGENTIC_TEST_HIDDEN" not in env
    assert "should-not-leak" not in result.nodes["sh"].output["stdout"]
    assert env["GREETING"] == "hello there"
    assert env["TZ"] == "UTC"
    assert env["PATH"] == os.environ["PATH"]
    assert "AGENTIC_TEMPORAL_ADDRESS" not in env
    allowed = {"PATH", "LANG", "LC_ALL", "TZ", "HOME", "GREETING"}
    assert set(env) - allowed <= {"PWD", "SHLVL", "_"}, sorted(set(env) - allowed)


async def test_env_allow_list_from_settings(client, task_queue, make_worker, settings, monkeypatch):
    monkeypatch.setenv("AGENTIC_TEST_SHARED", "shared-value")
    monkeypatch.setenv("AGENTIC_TEST_HIDDEN", "hidden-value")
    await make_worker(settings.model_copy(update={"shell_env_allowlist": ["PATH", "AGENTIC_TEST_SHARED"]}))
    result = await run(client, task_queue, graph([shell_node("sh", {"argv": ["env"]})]))
    env = dict(line.split("=", 1) for line in result.nodes["sh"].output["stdout"].splitlines() if "=" in line)
    assert env["AGENTIC_TEST_SHARED"] == "shared-value"
    assert "AGENTIC_TEST_HIDDEN" not in env


async def test_non_zero_exit_fails(client, task_queue, worker):
    definition = graph([shell_node("sh", {"argv": ["sh", "-c", "echo partial; echo broken >&2; exit 3"]})])
    summary = await failed_summary(client, task_queue, definition)

    sh = summary["nodes"]["sh"]
    assert sh["state"] == "failed"
    assert sh["error"]["code"] == "shell_exit_code"
    assert sh["error"]["message"] == "sh exited with 3: broken\n"
    assert sh["attempts"] == 1  # the shell type's default: one attempt


async def test_ok_exit_codes(client, task_queue, worker):
    result = await run(client, task_queue, graph([
        shell_node("sh", {"argv": ["sh", "-c", "exit 1"], "ok_exit_codes": [0, 1]})]))
    assert result.nodes["sh"].output["exit_code"] == 1


async def test_timeout_kills_the_process_group(client, task_queue, worker, tmp_path):
    marker = tmp_path / "survived"
    # A child in the background would outlive a kill of the parent alone.
    argv = ["sh", "-c", f"(sleep 1.5; touch {marker}) & sleep 30"]
    began = time.monotonic()
    summary = await failed_summary(client, task_queue, graph([shell_node("sh", {"argv": argv, "timeout_s": 0.5})]))
    elapsed = time.monotonic() - began

    sh = summary["nodes"]["sh"]
    assert sh["error"]["code"] == "shell_timeout"
    assert sh["error"]["message"] == "sh ran over 0.5s"
    assert sh["attempts"] == 1
    assert elapsed < 5
    await asyncio.sleep(2)
    assert not marker.exists(), "a child of the timed-out process kept running"


async def test_node_timeout_stops_the_process(client, task_queue, worker, tmp_path):
    """The node's own timeout (the activity's start-to-close) is shorter than the
    config's timeout_s: the node fails as timed out and the program must not keep running."""
    marker = tmp_path / "survived"
    argv = ["sh", "-c", f"sleep 2.5; touch {marker}"]
    began = time.monotonic()
    summary = await failed_summary(client, task_queue, graph([
        shell_node("sh", {"argv": argv, "timeout_s": 60}, timeout_s=1)]))
    elapsed = time.monotonic() - began

    sh = summary["nodes"]["sh"]
    assert sh["state"] == "failed"
    assert sh["error"]["code"] == "timeout"
    assert elapsed < 2.4
    await asyncio.sleep(3.5 - elapsed)
    assert not marker.exists(), "the program kept running after its node timed out"


async def test_output_is_truncated_at_the_cap(client, task_queue, make_worker, settings):
    await make_worker(settings.model_copy(update={"shell_output_cap_bytes": 100}))
    definition = graph([
        shell_node("big", {"argv": ["sh", "-c", "yes abc | head -c 5000; yes e | head -c 10 >&2"]}),
        shell_node("small", {"argv": ["sh", "-c", "yes abc | head -c 100"]}),
    ])
    result = await run(client, task_queue, definition)

    big = result.nodes["big"].output
    assert big["stdout"] == ("abc\n" * 25)
    assert len(big["stdout"]) == 100
    assert big["stderr"] == "e\n" * 5
    assert big["truncated"] is True
    small = result.nodes["small"].output
    assert small["stdout"] == "abc\n" * 25
    assert small["truncated"] is False


async def test_stderr_alone_over_cap_is_truncated(client, task_queue, make_worker, settings):
    await make_worker(settings.model_copy(update={"shell_output_cap_bytes": 10}))
    result = await run(client, task_queue, graph([
        shell_node("sh", {"argv": ["sh", "-c", "echo ok; yes e | head -c 50 >&2"]})]))
    out = result.nodes["sh"].output
    assert out["stdout"] == "ok\n"
    assert out["stderr"] == "e\n" * 5
    assert out["truncated"] is True


def _program(kind: str, tmp_path) -> str:
    if kind == "missing_name":
        return "definitely-not-a-program-4821"
    if kind == "missing_path":
        return str(tmp_path / "no" / "such" / "tool")
    if kind == "no_exec_bit":
        target = tmp_path / "plain.txt"
        target.write_text("echo hi\n")
        target.chmod(0o644)  # not executable, even for root
        return str(target)
    if kind == "directory":
        return str(tmp_path)
    if kind == "exec_format":
        target = tmp_path / "garbage.bin"
        target.write_bytes(b"\x00\x01 not a program \xff")
        target.chmod(0o755)  # executable bit, but exec() answers ENOEXEC
        return str(target)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "missing_name", "missing_path", "no_exec_bit", "directory",
    "exec_format",  # ENOEXEC: an executable file that is not a program
])
async def test_not_executable(client, task_queue, worker, tmp_path, kind):
    argv0 = _program(kind, tmp_path)
    handle = await start(client, task_queue, graph([shell_node("sh", {"argv": [argv0, "x"]}, retry=FAST_RETRY)]))
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    sh = summary_of(caught.value.cause)["nodes"]["sh"]
    assert sh["state"] == "failed"
    assert sh["error"]["code"] == "shell_not_executable"
    assert sh["error"]["message"].startswith(f"cannot run {argv0!r}: ")
    assert sh["attempts"] == 1  # not retryable even when the policy allows more
    execution_id = handle.id.removeprefix("exec-")
    leftovers = glob.glob(os.path.join(tempfile.gettempdir(), f"agentic-{execution_id}-*"))
    assert leftovers == [], "the temporary working directory was not removed"


async def test_disabled(client, task_queue, make_worker, settings, tmp_path):
    await make_worker(settings.model_copy(update={"shell_enabled": False}))
    marker = tmp_path / "ran"
    summary = await failed_summary(client, task_queue, graph([
        shell_node("sh", {"argv": ["touch", str(marker)]}, retry=FAST_RETRY)]))

    sh = summary["nodes"]["sh"]
    assert sh["state"] == "failed"
    assert sh["error"]["code"] == "shell_disabled"
    assert "AGENTIC_SHELL_ENABLED" in sh["error"]["message"]
    assert sh["attempts"] == 1  # not retryable even when the policy allows more
    assert not marker.exists()


async def test_failure_cancels_nothing_else_when_continue_on_error(client, task_queue, worker):
    definition = graph([
        shell_node("bad", {"argv": ["false"]}, continue_on_error=True),
        node("after", "transform", {"output": "{{ nodes.bad.status }}:{{ nodes.bad.error.code }}"}),
    ], [("bad", "after")])
    result = await run(client, task_queue, definition)
    assert result.nodes["bad"].state == "failed"
    assert result.nodes["after"].output == "failed:shell_exit_code"


async def test_flood_of_output_is_capped_while_streaming(client, task_queue, worker, settings):
    """50 MB of output: only the cap is kept, the rest is drained, not buffered."""
    definition = graph([node("flood", "shell", {"argv": ["sh", "-c", "head -c 50000000 /dev/zero | tr '\\0' x"]})])
    result = await run(client, task_queue, definition)
    output = result.nodes["flood"].output
    assert output["truncated"] is True
    assert len(output["stdout"]) == settings.shell_output_cap_bytes
    assert set(output["stdout"]) == {"x"}
