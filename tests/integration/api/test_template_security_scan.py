"""The built-in Security Scan template: bandit and the secret scan over a git
repository in a temporary directory; the planted vulnerability and key are
found, reported by file and line, and never echoed."""

from __future__ import annotations

import json
import sys

import pytest

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .shell_stack import git_repo, shell_api  # noqa: F401 - the fixture
from .template_helpers import builtin_id, deploy_and_run

pytestmark = pytest.mark.integration
CLEAN = {"app.py": "def add(a, b):\n    return a + b\n"}
PLANTED_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
VULNERABLE = {"app.py": "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n",
              "settings.py": f"AWS_KEY = '{PLANTED_KEY}'\n"}


async def _scan(shell_api, admin_headers, server, tmp_path, files, prefix):  # noqa: F811
    server.route(f"/{prefix}", (200, {}, {"ok": True}))
    params = {"repo_url": git_repo(tmp_path / "repo", files), "alert_url": server.url(f"/{prefix}"),
              "bandit_command": f"{sys.executable} -m bandit", "severity": "medium"}
    template_id = await builtin_id(shell_api, admin_headers, "Security Scan")
    return await deploy_and_run(shell_api, admin_headers, template_id, params)


async def test_a_clean_repository_passes_without_an_alert(shell_api, admin_headers, server, tmp_path):  # noqa: F811
    _, execution, result = await _scan(shell_api, admin_headers, server, tmp_path, CLEAN, "sec-clean")
    assert execution["status"] == "succeeded", execution
    assert result["outputs"]["clean"]["passed"] is True
    assert not server.hits("/sec-clean")


async def test_the_planted_vulnerability_and_key_are_found_and_alerted(shell_api, admin_headers, server,
                                                                       tmp_path):  # noqa: F811
    _, execution, result = await _scan(shell_api, admin_headers, server, tmp_path, VULNERABLE, "sec-bad")
    assert execution["status"] == "succeeded", execution
    alert = json.loads(server.hits("/sec-bad")[-1].body)
    assert alert["passed"] is False and alert == result["outputs"]["findings"]
    assert any(f.startswith("BANDIT HIGH B602 app.py:5") for f in alert["findings"]), alert
    assert "SECRET settings.py:1" in alert["findings"], alert
    assert PLANTED_KEY not in json.dumps(result)  # file and line only, never the value
    assert "clean" not in result["outputs"]
