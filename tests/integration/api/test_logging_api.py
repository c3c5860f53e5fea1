"""`python -m api` with JSON logs: every line it writes is one JSON object,
uvicorn's own lines included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx

from cli.devserver import free_port

from .conftest import ADMIN_PASSWORD, JWT_SECRET, ROOT
from .test_crash import wait_live


async def test_the_api_process_writes_json_lines(api_settings, tmp_path):
    port = free_port()
    env = {**os.environ, "AGENTIC_DATABASE_URL": api_settings.database_url,
           "AGENTIC_TEMPORAL_ADDRESS": api_settings.temporal_address,
           "AGENTIC_JWT_SECRET": JWT_SECRET, "AGENTIC_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "AGENTIC_API_PORT": str(port), "AGENTIC_LOG_FORMAT": "json"}
    stderr = tmp_path / "api.log"
    with stderr.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=sink)
        try:
            await wait_live(f"http://127.0.0.1:{port}", timeout_s=120)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                assert (await http.get("/health/live")).status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    lines = [line for line in stderr.read_text().splitlines() if line.strip()]
    assert lines, "the API wrote nothing"
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    assert {p["process"] for p in parsed} == {"api"}
    assert any(p["logger"].startswith("uvicorn") for p in parsed)
