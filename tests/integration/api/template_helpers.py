"""What the template tests share: deploy a template through the API and run it."""

from __future__ import annotations

import httpx

from .helpers import wait_finished


async def builtin_id(api: httpx.AsyncClient, headers: dict, name: str) -> str:
    response = await api.get("/api/v1/templates", params={"q": name, "builtin": "true"}, headers=headers)
    assert response.status_code == 200, response.text
    found = [t for t in response.json()["items"] if t["name"] == name]
    assert len(found) == 1, response.json()
    return found[0]["id"]


async def add_secret(api: httpx.AsyncClient, headers: dict, name: str, value: str) -> None:
    """The caller's secret `name` (the shared admin may hold it from an earlier test: kept)."""
    response = await api.post("/api/v1/secrets", json={"name": name, "value": value}, headers=headers)
    assert response.status_code == 201 or response.json()["error"]["code"] == "secret_exists", response.text


async def deploy_and_run(api: httpx.AsyncClient, headers: dict, template_id: str, params: dict,
                         inputs: dict | None = None, timeout_s: float = 60) -> tuple[dict, dict, dict]:
    """(deploy answer, finished execution, its result)."""
    response = await api.post(f"/api/v1/templates/{template_id}/deploy",
                              json={"params": params, "run": {"inputs": inputs or {}}}, headers=headers)
    assert response.status_code == 201, response.text
    deployed = response.json()
    execution = await wait_finished(api, deployed["execution_id"], headers, timeout_s=timeout_s)
    result = await api.get(f"/api/v1/executions/{deployed['execution_id']}/result", headers=headers)
    assert result.status_code == 200, result.text
    return deployed, execution, result.json()
