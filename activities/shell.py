"""shell: runs an argv list (never a shell string) in a fresh temporary
directory, with only allow-listed environment variables. Privileged: off
unless the operator sets AGENTIC_SHELL_ENABLED, and only admins may save it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from typing import Any

from pydantic import Field

from activities.base import NodeError
from workflows.node_types import NodeConfig, NodeType


class ShellConfig(NodeConfig):
    argv: list[str] = Field(min_length=1, description="program and arguments; no shell is involved")
    env: dict[str, str] = Field(default_factory=dict, description="extra variables for the process")
    stdin: str | None = None
    timeout_s: float = Field(60.0, gt=0, le=3600)
    ok_exit_codes: list[int] = Field(default_factory=lambda: [0])


async def run(config: ShellConfig, call, deps) -> dict[str, Any]:
    settings = deps.settings
    if not settings.shell_enabled:
        raise NodeError("shell_disabled", "the shell node is disabled on this worker (AGENTIC_SHELL_ENABLED)")
    env = {k: os.environ[k] for k in settings.shell_env_allowlist if k in os.environ}
    env.update(config.env)
    workdir = tempfile.mkdtemp(prefix=f"agentic-{call.execution_id}-{call.node_id}-")
    env["HOME"] = env.get("HOME", workdir)
    started = time.perf_counter()
    try:
        process = await asyncio.create_subprocess_exec(
            *config.argv, cwd=workdir, env=env, start_new_session=True,
            stdin=asyncio.subprocess.PIPE if config.stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
    except (FileNotFoundError, PermissionError) as err:
        shutil.rmtree(workdir, ignore_errors=True)
        raise NodeError("shell_not_executable", f"cannot run {config.argv[0]!r}: {err.strerror}") from None
    try:
        stdout, stderr = await asyncio.wait_for(
            process.communicate(config.stdin.encode() if config.stdin is not None else None), config.timeout_s)
    except (asyncio.TimeoutError, asyncio.CancelledError) as err:
        _kill_group(process)
        await process.wait()
        if isinstance(err, asyncio.CancelledError):
            raise
        raise NodeError("shell_timeout", f"{config.argv[0]} ran over {config.timeout_s}s", retryable=True) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cap = settings.shell_output_cap_bytes
    result = {
        "exit_code": process.returncode,
        "stdout": stdout[:cap].decode("utf-8", errors="replace"),
        "stderr": stderr[:cap].decode("utf-8", errors="replace"),
        "truncated": len(stdout) > cap or len(stderr) > cap,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if process.returncode not in config.ok_exit_codes:
        raise NodeError("shell_exit_code",
                        f"{config.argv[0]} exited with {process.returncode}: {result['stderr'][-500:]}",
                        retryable=True)
    return result


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: children too
    except ProcessLookupError:
        pass


NODE_TYPE = NodeType(
    name="shell",
    config_model=ShellConfig,
    description="Runs a program (argv list) in a temporary directory. Privileged.",
    privileged=True,
    default_timeout_s=3600,
    default_max_attempts=1,
)
