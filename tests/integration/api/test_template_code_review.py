"""The built-in Code Review template, deployed through the API and run against
a local GitHub-compatible server and the local OpenAI-compatible fake."""

from __future__ import annotations

import json

import pytest

from tests.integration.fake_openai import FakeOpenAI
from tests.integration.local_server import server  # noqa: F401 - the fixture

from .template_helpers import add_secret, builtin_id, deploy_and_run

pytestmark = pytest.mark.integration
DIFF = "diff --git a/app.py b/app.py\n+password = 'hunter2'\n"
VERDICT = {"verdict": "request_changes", "summary": "A password is hard-coded.",
           "comments": [{"path": "app.py", "line": 1, "body": "Read it from the environment."}]}


@pytest.fixture(scope="module")
def llm():
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


async def _deploy_params(api, headers, server, llm) -> dict:  # noqa: F811
    await add_secret(api, headers, "GITHUB_TOKEN", "gh-token-for-tests")
    await add_secret(api, headers, "LLM_API_KEY", "llm-key-for-tests")
    return {"api_url": server.url("/gh"), "repo": "octo/demo", "llm_base_url": llm.base_url, "model": "m1"}


async def test_reviews_a_pull_request_and_posts_the_review(api, make_user, server, llm):  # noqa: F811
    _, headers = await make_user()
    server.route("/gh/repos/octo/demo/pulls/7", (200, {"Content-Type": "text/x-diff"}, DIFF))
    server.route("/gh/repos/octo/demo/pulls/7/reviews", (200, {}, {"id": 1}))
    llm.script(json.dumps(VERDICT))
    template_id = await builtin_id(api, headers, "Code Review")
    deployed, execution, result = await deploy_and_run(
        api, headers, template_id, await _deploy_params(api, headers, server, llm), {"pr": 7})
    assert execution["status"] == "succeeded", execution
    assert deployed["workflow"]["template_id"] == template_id
    assert "hunter2" in llm.requests[-1].body["messages"][-1]["content"]  # the diff reached the model
    posted = server.hits("/gh/repos/octo/demo/pulls/7/reviews")[-1]
    assert posted.headers["authorization"] == "Bearer gh-token-for-tests"
    assert json.loads(posted.body) == {"event": "REQUEST_CHANGES", "body": VERDICT["summary"],
                                       "comments": VERDICT["comments"]}
    assert result["outputs"]["review"]["json"]["verdict"] == "request_changes"


async def test_a_missing_pull_request_fails_and_posts_nothing(api, make_user, server, llm):  # noqa: F811
    _, headers = await make_user()
    server.route("/gh/repos/octo/demo/pulls/404", (404, {}, {"message": "Not Found"}))
    template_id = await builtin_id(api, headers, "Code Review")
    asked = len(llm.requests)
    _, execution, _ = await deploy_and_run(
        api, headers, template_id, await _deploy_params(api, headers, server, llm), {"pr": 404})
    assert execution["status"] == "failed"
    assert execution["error"]["code"] == "http_status", execution["error"]
    assert not server.hits("/gh/repos/octo/demo/pulls/404/reviews")
    assert len(llm.requests) == asked  # the model was never asked
