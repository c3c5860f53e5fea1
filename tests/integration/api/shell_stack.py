"""A second API and worker of the test installation with the shell node
enabled (the session's worker has it off), for the templates that run git
and test tools. Same database and keys: the session's users and tokens work."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from worker.app import build_worker

from .conftest import another_app, asgi_client


@pytest.fixture(scope="module")
async def shell_api(api_settings, client):
    settings = api_settings.model_copy(update={"shell_enabled": True,
                                               "temporal_task_queue": f"shell-{uuid.uuid4().hex[:8]}"})
    worker = build_worker(client, settings, task_queue=settings.temporal_task_queue)
    await worker.__aenter__()
    try:
        async with another_app(settings, client) as application, asgi_client(application) as http:
            yield http
    finally:
        await worker.__aexit__(None, None, None)


def git_repo(path: Path, files: dict[str, str]) -> str:
    """A git repository with one commit of `files`; its path is what the templates clone."""
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(path)}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-q", "-m", "init"]):
        subprocess.run(argv, cwd=path, env=env, check=True, capture_output=True)
    return str(path)
