"""The built-in Deployment Automation template against a local deploy API and
health endpoint: a healthy deploy stays, an unhealthy one is rolled back."""

from __future__ import annotations

import json

import pytest

from tests.integration.local_server import server  # noqa: F401 - the fixture

from .template_helpers import add_secret, builtin_id, deploy_and_run

pytestmark = pytest.mark.integration
INPUTS = {"version": "2.0.0", "previous_version": "1.9.0"}


async def _run(api, make_user, server, prefix: str, health: int):  # noqa: F811
    _, headers = await make_user()
    await add_secret(api, headers, "DEPLOY_TOKEN", "deploy-token-for-tests")
    server.route(f"/{prefix}/deployments", (201, {}, {"id": "d1"}))
    server.route(f"/{prefix}/rollbacks", (201, {}, {"id": "r1"}))
    server.route(f"/{prefix}/healthz", (health, {}, {"status": "ok" if health == 200 else "down"}))
    params = {"deploy_api": server.url(f"/{prefix}"), "service": "web", "health_url": server.url(f"/{prefix}/healthz"),
              "settle_seconds": 0}
    template_id = await builtin_id(api, headers, "Deployment Automation")
    return await deploy_and_run(api, headers, template_id, params, INPUTS)


async def test_a_healthy_deploy_is_kept(api, make_user, server):  # noqa: F811
    _, execution, result = await _run(api, make_user, server, "ok", 200)
    assert execution["status"] == "succeeded", execution
    assert result["outputs"]["deployed"] == {"outcome": "deployed", "service": "web", "version": "2.0.0"}
    deployed = server.hits("/ok/deployments")[-1]
    assert json.loads(deployed.body) == {"service": "web", "version": "2.0.0"}
    assert deployed.headers["authorization"] == "Bearer deploy-token-for-tests"
    assert not server.hits("/ok/rollbacks")


async def test_an_unhealthy_deploy_is_rolled_back(api, make_user, server):  # noqa: F811
    _, execution, result = await _run(api, make_user, server, "bad", 503)
    assert execution["status"] == "succeeded", execution
    assert result["outputs"]["rolled_back"]["outcome"] == "rolled_back"
    assert result["outputs"]["rolled_back"]["health_status"] == 503
    assert "deployed" not in result["outputs"]
    rollback = json.loads(server.hits("/bad/rollbacks")[-1].body)
    assert rollback == {"service": "web", "version": "1.9.0", "reason": "health check answered 503"}
    assert len(server.hits("/bad/healthz")) == 1  # an unhealthy answer is acted on, not retried
