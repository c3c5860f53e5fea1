"""shell: runs an argv list (never a shell string) in a fresh temporary
directory, with only allow-listed environment variables. Privileged: off
unless the operator sets AGENTIC_SHELL_ENABLED, and only admins may save it
(workflows/nodes/shell.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from typing import Any

from activities.base import NodeError
from workflows.nodes.shell import ShellConfig


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
    except OSError as err:  # missing, not executable, not a program (ENOEXEC)
        shutil.rmtree(workdir, ignore_errors=True)
        raise NodeError("shell_not_executable", f"cannot run {config.argv[0]!r}: {err.strerror}") from None
    cap = settings.shell_output_cap_bytes
    try:
        (stdout, out_total), (stderr, err_total), _, _ = await asyncio.wait_for(asyncio.gather(
            _read_capped(process.stdout, cap), _read_capped(process.stderr, cap),
            _feed(process, config.stdin), process.wait()), config.timeout_s)
    except (asyncio.TimeoutError, asyncio.CancelledError) as err:
        _kill_group(process)
        await process.wait()
        if isinstance(err, asyncio.CancelledError):
            raise
        raise NodeError("shell_timeout", f"{config.argv[0]} ran over {config.timeout_s}s", retryable=True) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "exit_code": process.returncode,
        "stdout": stdout.decode("utf-8", errors="replace"),
        "stderr": stderr.decode("utf-8", errors="replace"),
        "truncated": out_total > cap or err_total > cap,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if process.returncode not in config.ok_exit_codes:
        raise NodeError("shell_exit_code",
                        f"{config.argv[0]} exited with {process.returncode}: {result['stderr'][-500:]}",
                        retryable=True)
    return result


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, int]:
    """Keeps the first `cap` bytes and drains the rest, so a chatty program
    neither blocks on a full pipe nor grows the worker's memory."""
    kept, total = bytearray(), 0
    while chunk := await stream.read(65536):
        total += len(chunk)
        if len(kept) < cap:
            kept += chunk[: cap - len(kept)]
    return bytes(kept), total


async def _feed(process: asyncio.subprocess.Process, stdin: str | None) -> None:
    if stdin is None or process.stdin is None:
        return
    try:
        process.stdin.write(stdin.encode())
        await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the program did not read its input: its business
    finally:
        process.stdin.close()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: children too
    except ProcessLookupError:
        pass
