"""`make run`: Temporal dev server (SQLite under .data/), embedded PostgreSQL
unless AGENTIC_DATABASE_URL is set, migrations, the worker and the API.
Ctrl-C stops everything; the next run finds the old state in .data/."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cli.devserver import die_with_parent, start_temporal, wait_for_port
from core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
TEMPORAL_PORT, TEMPORAL_UI_PORT = 7233, 8233
# Behind the UI's public port: the UI itself (reached through cli/ui_gate.py,
# read-only). The dev server's HTTP API and metrics (random ports unless
# pinned): the HTTP API takes the same state-changing calls as the Web UI.
TEMPORAL_UI_INNER_PORT, TEMPORAL_HTTP_PORT, TEMPORAL_METRICS_PORT = 8234, 7243, 7244
WORKER_METRICS_PORT = 9464  # the worker's Prometheus endpoint (worker/metrics.py)
LOOPBACK_WARNING = ("WARNING: development mode lets nodes reach loopback services (AGENTIC_OUTBOUND_ALLOW_LOOPBACK);"
                    " the platform's own ports stay refused. Never in production.")


def _database_url(env: dict[str, str]) -> str | None:
    if env.get("AGENTIC_DATABASE_URL"):
        return env["AGENTIC_DATABASE_URL"]
    try:
        from core.db.embedded import start_embedded_postgres
    except ImportError:
        return None  # the API is not part of this build
    print("starting embedded PostgreSQL under .data/postgres ...", flush=True)
    return start_embedded_postgres(DATA / "postgres")


def _stop_embedded(env: dict[str, str]) -> None:
    if os.environ.get("AGENTIC_DATABASE_URL"):
        return  # not ours to stop
    try:
        from core.db.embedded import stop_embedded_postgres
    except ImportError:
        return
    stop_embedded_postgres(DATA / "postgres")


def _egress_env(env: dict[str, str], api_port: int, inner_ports: list[int]) -> None:
    """Development: loopback destinations allowed (unless said otherwise), and
    every port of the stack known to the egress policy (the frontend, the UI's
    public port, PostgreSQL and the API it knows from the settings)."""
    env.setdefault("AGENTIC_PUBLIC_API_URL", f"http://127.0.0.1:{api_port}")
    denied = json.loads(env.get("AGENTIC_OUTBOUND_DENY") or "[]")
    denied += [f"127.0.0.1:{port}" for port in inner_ports]
    env["AGENTIC_OUTBOUND_DENY"] = json.dumps(denied)
    if env.get("AGENTIC_ENVIRONMENT", "development").lower() != "production":
        env.setdefault("AGENTIC_OUTBOUND_ALLOW_LOOPBACK", "true")


def ui_codec_endpoint(env: dict[str, str], api_port: int, ui_writable: bool) -> str | None:
    """Where the Web UI asks to decode payloads: the read-only gate, which
    forwards to the API with the operator's credential (cli/ui_codec.py), or,
    with the UI served directly, the API itself. None with encryption off."""
    if env.get("AGENTIC_PAYLOAD_ENCRYPTION", "true").strip().lower() in ("0", "false", "no", "off"):
        return None
    if ui_writable:
        return f"http://127.0.0.1:{api_port}/api/v1/codec"
    return f"http://127.0.0.1:{TEMPORAL_UI_PORT}/codec"


def _loopback_allowed(env: dict[str, str]) -> bool:
    return env.get("AGENTIC_OUTBOUND_ALLOW_LOOPBACK", "").strip().lower() in ("1", "true", "yes", "on")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    log = open(DATA / f"{name}.log", "ab")
    print(f"starting {name} (log: .data/{name}.log)", flush=True)
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    DATA.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("AGENTIC_TEMPORAL_ADDRESS", f"127.0.0.1:{TEMPORAL_PORT}")
    ui_writable = env.get("AGENTIC_TEMPORAL_UI_WRITE", "").lower() in ("1", "true", "yes")
    env.setdefault("AGENTIC_WORKER_METRICS_ADDRESS", f"127.0.0.1:{WORKER_METRICS_PORT}")
    worker_metrics_port = int(env["AGENTIC_WORKER_METRICS_ADDRESS"].rsplit(":", 1)[1])
    inner_ports = [TEMPORAL_HTTP_PORT, TEMPORAL_METRICS_PORT, worker_metrics_port] + (
        [] if ui_writable else [TEMPORAL_UI_INNER_PORT])
    processes: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    api_port = int(env.get("AGENTIC_API_PORT", "8000"))
    _egress_env(env, api_port, inner_ports)
    ports = (TEMPORAL_PORT, TEMPORAL_UI_PORT, *inner_ports, api_port)
    busy = [p for p in ports if not _port_free(p)]
    if _loopback_allowed(env):
        print(LOOPBACK_WARNING, file=sys.stderr, flush=True)
    if busy:
        print(f"port(s) {busy} already in use: is another `make run` still up (or stopping)?", file=sys.stderr)
        return 1
    try:
        print("starting Temporal dev server (state: .data/temporal.db) ...", flush=True)
        processes.append(start_temporal(
            port=TEMPORAL_PORT, ui_port=TEMPORAL_UI_PORT if ui_writable else TEMPORAL_UI_INNER_PORT,
            http_port=TEMPORAL_HTTP_PORT, metrics_port=TEMPORAL_METRICS_PORT,
            db_file=DATA / "temporal.db", log_file=DATA / "temporal.log",
            ui_codec_endpoint=ui_codec_endpoint(env, api_port, ui_writable)))
        if not ui_writable:
            processes.append(_spawn("ui-gate", [sys.executable, "-m", "cli.ui_gate", "--port", str(TEMPORAL_UI_PORT),
                                                "--upstream", f"http://127.0.0.1:{TEMPORAL_UI_INNER_PORT}",
                                                "--codec-api", f"http://127.0.0.1:{api_port}"], env))
            wait_for_port(TEMPORAL_UI_PORT, processes[-1])
        url = _database_url(env)
        if url:
            env["AGENTIC_DATABASE_URL"] = url
            subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
        processes.append(_spawn("worker", [sys.executable, "-m", "worker"], env))
        api_started = False
        if url and (ROOT / "api" / "__main__.py").exists():
            processes.append(_spawn("api", [sys.executable, "-m", "api"], env))
            wait_for_port(api_port, processes[-1])
            api_started = True
        settings = get_settings()
        print("\nready:")
        print(f"  Temporal Web UI   {settings.temporal_ui_url}"
              + ("" if ui_writable else "  (read-only; AGENTIC_TEMPORAL_UI_WRITE=1 enables write actions)"))
        print(f"  Temporal server   127.0.0.1:{TEMPORAL_PORT}")
        if api_started:
            print(f"  API               http://127.0.0.1:{api_port}  (docs: /docs)")
            print(f"  API metrics       http://127.0.0.1:{api_port}/metrics  (health: /health/dependencies)")
        print(f"  worker metrics    http://{env['AGENTIC_WORKER_METRICS_ADDRESS']}/metrics")
        if url:
            print(f"  PostgreSQL        {url}")
        if settings.payload_encryption:
            print("  payloads          encrypted before Temporal (key: AGENTIC_PAYLOAD_KEYS or .data/keys/); "
                  "the Web UI decodes them with AGENTIC_ADMIN_PASSWORD or AGENTIC_UI_CODEC_API_KEY set")
        print("  try:  .venv/bin/agentic run examples/parallel.json --input '{\"name\": \"you\"}'")
        if _loopback_allowed(env):
            print("  egress            loopback allowed (development), the stack's own ports refused")
        print("Ctrl-C stops everything.\n", flush=True)
        while not stopping:
            for process in processes:
                if process.poll() is not None:
                    print(f"a process exited with {process.returncode}: {process.args[:3]}; stopping")
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        _stop(processes)
        _stop_embedded(env)
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
