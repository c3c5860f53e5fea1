"""The built-in CI/CD Pipeline and Testing Automation templates: a git
repository in a temporary directory, its tests run by the shell node (on a
worker with it enabled), a local deploy / results API."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pytest

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .helpers import wait_finished
from .shell_stack import git_repo, shell_api  # noqa: F401 - the fixture
from .template_helpers import add_secret, builtin_id, deploy_and_run

pytestmark = pytest.mark.integration
PASSING = {"test_math.py": "def test_adds():\n    assert 1 + 1 == 2\n"}
FAILING = {"test_math.py": "def test_adds():\n    assert 1 + 1 == 3\n"}
PYTEST = f"{sys.executable} -m pytest -q -p no:cacheprovider"


async def _approval(api, headers, approval_id: str, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await api.get(f"/api/v1/enterprise/approvals/{approval_id}", headers=headers)
        if response.status_code == 200 and response.json()["status"] == "pending":
            return response.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"{approval_id} never became pending: {response.text}")


async def _cicd(shell_api, admin_headers, server, tmp_path, files, prefix, approvers=("role:admin",)):  # noqa: F811
    await add_secret(shell_api, admin_headers, "DEPLOY_TOKEN", "deploy-token-for-tests")
    server.route(f"/{prefix}/deployments", (201, {}, {"id": "d1"}))
    params = {"repo_url": git_repo(tmp_path / "repo", files), "test_command": PYTEST,
              "deploy_url": server.url(f"/{prefix}/deployments"), "approvers": list(approvers)}
    template_id = await builtin_id(shell_api, admin_headers, "CI/CD Pipeline")
    response = await shell_api.post(f"/api/v1/templates/{template_id}/deploy",
                                    json={"params": params, "run": {"inputs": {}}}, headers=admin_headers)
    assert response.status_code == 201, response.text
    return response.json()["execution_id"]


async def test_cicd_tests_then_approval_then_deploy(shell_api, make_user, admin_headers, server, tmp_path):  # noqa: F811
    lead_name, lead = await make_user()  # the approver: not the one who started the run
    execution_id = await _cicd(shell_api, admin_headers, server, tmp_path, PASSING, "cd-ok", [lead_name])
    approval_id = f"{execution_id}:release_approval"
    await _approval(shell_api, lead, approval_id)
    assert not server.hits("/cd-ok/deployments")  # nothing ships before the approval
    decided = await shell_api.post(f"/api/v1/enterprise/approvals/{approval_id}/approve",
                                   json={"comment": "ship"}, headers=lead)
    assert decided.status_code == 200, decided.text
    execution = await wait_finished(shell_api, execution_id, admin_headers, timeout_s=60)
    assert execution["status"] == "succeeded", execution
    shipped = json.loads(server.hits("/cd-ok/deployments")[-1].body)
    assert shipped["branch"] == "main" and len(shipped["commit"]) == 40


async def test_cicd_failing_tests_stop_before_the_approval(shell_api, admin_headers, server, tmp_path):  # noqa: F811
    execution_id = await _cicd(shell_api, admin_headers, server, tmp_path, FAILING, "cd-bad")
    execution = await wait_finished(shell_api, execution_id, admin_headers, timeout_s=60)
    assert execution["status"] == "failed" and execution["error"]["code"] == "shell_exit_code", execution
    assert (await shell_api.get(f"/api/v1/enterprise/approvals/{execution_id}:release_approval",
                                headers=admin_headers)).status_code == 404
    assert not server.hits("/cd-bad/deployments")


@pytest.mark.parametrize(("files", "passed", "summary"), [(PASSING, True, "1 passed"), (FAILING, False, "1 failed")])
async def test_testing_automation_reports(shell_api, admin_headers, server, tmp_path, files, passed, summary):  # noqa: F811
    prefix = f"results-{passed}"
    server.route(f"/{prefix}", (201, {}, {"ok": True}))
    params = {"repo_url": git_repo(tmp_path / "repo", files), "test_command": PYTEST,
              "report_url": server.url(f"/{prefix}")}
    template_id = await builtin_id(shell_api, admin_headers, "Testing Automation")
    _, execution, result = await deploy_and_run(shell_api, admin_headers, template_id, params)
    assert execution["status"] == "succeeded", execution
    report = json.loads(server.hits(f"/{prefix}")[-1].body)
    assert report["passed"] is passed and summary in report["summary"] and len(report["commit"]) == 40
    assert report == result["outputs"]["report"]
