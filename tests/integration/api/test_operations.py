"""Operations endpoints: /metrics, /health/dependencies, /health/version and
/api/v1/monitoring/stats, against the real database, Temporal and worker."""

from __future__ import annotations

import re
import uuid

from prometheus_client.parser import text_string_to_metric_families

from api import build_info

from .conftest import another_app, asgi_client, login
from .graphs import three_nodes
from .helpers import ScriptedServer, wait_finished
from .test_unhappy import assert_error


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def run_one(api, headers) -> str:
    wf = (await api.post("/api/v1/workflows", json=three_nodes(), headers=headers)).json()
    started = await api.post(f"/api/v1/workflows/{wf['id']}/executions", json={"inputs": {"who": "x"}},
                             headers=headers)
    assert started.status_code == 202, started.text
    assert (await wait_finished(api, started.json()["id"], headers))["status"] == "succeeded"
    return started.json()["id"]


async def test_metrics_count_requests_by_route_template_never_the_raw_path(api, make_user):
    _, headers = await make_user()
    missing = f"wf_{uuid.uuid4().hex}"
    assert (await api.get(f"/api/v1/workflows/{missing}", headers=headers)).status_code == 404
    assert (await api.get(f"/no/such/{missing}")).status_code == 404
    scraped = await api.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert missing not in text  # a user's path never becomes a label
    assert value(text, "agentic_api_requests_total", method="GET",
                 route="/api/v1/workflows/{workflow_id}", status="404") >= 1
    assert value(text, "agentic_api_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    assert value(text, "agentic_api_request_duration_seconds_count", method="GET",
                 route="/api/v1/workflows/{workflow_id}", status="404") >= 1
    assert value(text, "agentic_api_requests_in_flight") >= 1  # the scrape itself
    assert value(text, "agentic_api_db_pool_connections", state="size") == 10


async def test_metrics_platform_gauges_follow_the_database(api_settings, client, api, make_user):
    _, headers = await make_user()
    async with another_app(api_settings.model_copy(update={"metrics_counts_max_age_s": 0}), client) as app:
        async with asgi_client(app) as http:
            before = value((await http.get("/metrics")).text, "agentic_executions", status="succeeded")
            await run_one(api, headers)
            text = (await http.get("/metrics")).text
    assert value(text, "agentic_executions", status="succeeded") == before + 1
    assert value(text, "agentic_executions", status="timed_out") is not None  # every status, zeros included
    assert value(text, "agentic_approvals_waiting") is not None
    assert value(text, "agentic_schedules", state="paused") is not None


async def test_metrics_token_is_required_when_set(api_settings, client):
    async with another_app(api_settings.model_copy(update={"metrics_token": "scrape-me"}), client) as app:
        async with asgi_client(app) as http:
            assert_error(await http.get("/metrics"), 401, "unauthorized")
            assert_error(await http.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
            good = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert good.status_code == 200 and "agentic_api_requests_total" in good.text


async def test_dependencies_report_each_with_latency(api, api_settings):
    body = (await api.get("/health/dependencies")).json()
    assert body["status"] == "ok", body
    deps = body["dependencies"]
    for name in ("postgresql", "temporal", "workers"):
        assert deps[name]["status"] == "ok" and deps[name]["latency_ms"] >= 0
    assert deps["workers"]["details"]["task_queue"] == api_settings.temporal_task_queue
    assert deps["workers"]["details"]["workflow_pollers"] >= 1
    assert deps["llm"] == {"status": "not_configured", "latency_ms": None, "error": None, "details": {}}


async def test_dependencies_degraded_without_workers_or_llm(api_settings, client):
    async with ScriptedServer() as llm:
        llm.status["/v1/models"] = 500
        settings = api_settings.model_copy(update={"temporal_task_queue": f"nobody-{uuid.uuid4().hex[:6]}",
                                                   "llm_base_url": f"{llm.base}/v1"})
        async with another_app(settings, client) as app, asgi_client(app) as http:
            body = (await http.get("/health/dependencies")).json()
        assert llm.hits["/v1/models"] == 1
    assert body["status"] == "degraded"
    assert body["dependencies"]["workers"]["status"] == "down"
    assert "no worker polls" in body["dependencies"]["workers"]["error"]
    assert body["dependencies"]["llm"]["status"] == "down" and "500" in body["dependencies"]["llm"]["error"]
    assert body["dependencies"]["postgresql"]["status"] == "ok"


async def test_dependencies_llm_ok(api_settings, client):
    async with ScriptedServer() as llm:
        settings = api_settings.model_copy(update={"llm_base_url": f"{llm.base}/v1"})
        async with another_app(settings, client) as app, asgi_client(app) as http:
            body = (await http.get("/health/dependencies")).json()
    assert body["status"] == "ok"
    assert body["dependencies"]["llm"]["status"] == "ok"


async def test_version(api):
    body = (await api.get("/health/version")).json()
    assert body["version"] == build_info.version() != "unknown"
    assert body["migration_head"] and body["database_revision"] == body["migration_head"]
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", body["temporal_server_version"])
    assert body["git_revision"] is None or re.fullmatch(r"[0-9a-f]{40}", body["git_revision"])


async def test_monitoring_stats_users_see_their_own_admins_all(api, make_user, admin_headers):
    _, alice = await make_user()
    _, bob = await make_user()
    await run_one(api, alice)
    mine = (await api.get("/api/v1/monitoring/stats", headers=alice)).json()
    assert mine["scope"] == "own"
    assert mine["executions_by_status"]["succeeded"] == 1 and mine["finished_in_window"] == 1
    assert mine["failure_rate"] == 0 and mine["running"] == 0 and mine["approvals_waiting"] == 0
    theirs = (await api.get("/api/v1/monitoring/stats", headers=bob)).json()
    assert sum(theirs["executions_by_status"].values()) == 0 and theirs["failure_rate"] is None
    everyone = (await api.get("/api/v1/monitoring/stats", headers=admin_headers)).json()
    assert everyone["scope"] == "all" and everyone["executions_by_status"]["succeeded"] >= 1


async def test_monitoring_stats_refuses_bad_input(api, make_user):
    _, headers = await make_user()
    assert_error(await api.get("/api/v1/monitoring/stats"), 401, "unauthorized")
    assert_error(await api.get("/api/v1/monitoring/stats", params={"window_hours": 0}, headers=headers),
                 422)
    assert_error(await api.get("/api/v1/monitoring/stats", params={"owner": "x"}, headers=headers),
                 422)


async def test_every_answer_names_its_request_id(api):
    given = await api.get("/health/live", headers={"X-Request-ID": "trace-42.a"})
    assert given.headers["x-request-id"] == "trace-42.a"
    made = await api.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", (await api.get("/no/such")).headers["x-request-id"])
