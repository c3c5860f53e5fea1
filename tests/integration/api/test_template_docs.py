"""The built-in Documentation Generation template: sources from a git
repository in a temporary directory, the page written by the OpenAI fake,
published to a local docs API."""

from __future__ import annotations

import json

import pytest

from tests.integration.fake_openai import FakeOpenAI
from tests.integration.local_server import server  # noqa: F401 - the fixture

from .shell_stack import git_repo, shell_api  # noqa: F401 - the fixture
from .template_helpers import add_secret, builtin_id, deploy_and_run

pytestmark = pytest.mark.integration
SOURCES = {"calc.py": 'def add(a, b):\n    """Adds two numbers."""\n    return a + b\n', "README.md": "# calc\n"}
PAGE = "# calc\n\n## add(a, b)\nAdds two numbers."


@pytest.fixture(scope="module")
def llm():
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


async def _generate(shell_api, admin_headers, server, llm, tmp_path, prefix, docs_status):  # noqa: F811
    await add_secret(shell_api, admin_headers, "LLM_API_KEY", "llm-key-for-tests")
    await add_secret(shell_api, admin_headers, "DOCS_TOKEN", "docs-token-for-tests")
    server.route(f"/{prefix}/pages/reference", (docs_status, {}, {"ok": docs_status == 200}))
    llm.script(PAGE)
    params = {"repo_url": git_repo(tmp_path / "repo", SOURCES), "docs_api": server.url(f"/{prefix}"),
              "page": "reference", "llm_base_url": llm.base_url}
    template_id = await builtin_id(shell_api, admin_headers, "Documentation Generation")
    return await deploy_and_run(shell_api, admin_headers, template_id, params)


async def test_sources_are_documented_and_published(shell_api, admin_headers, server, llm, tmp_path):  # noqa: F811
    _, execution, _ = await _generate(shell_api, admin_headers, server, llm, tmp_path, "docs-ok", 200)
    assert execution["status"] == "succeeded", execution
    prompt = llm.requests[-1].body["messages"][-1]["content"]
    assert "=== calc.py" in prompt and "Adds two numbers." in prompt and "README.md" not in prompt
    published = server.hits("/docs-ok/pages/reference")[-1]
    assert published.method == "PUT" and published.headers["authorization"] == "Bearer docs-token-for-tests"
    assert json.loads(published.body)["content"] == PAGE


async def test_a_refused_publish_fails_the_run(shell_api, admin_headers, server, llm, tmp_path):  # noqa: F811
    _, execution, _ = await _generate(shell_api, admin_headers, server, llm, tmp_path, "docs-denied", 403)
    assert execution["status"] == "failed", execution
    assert execution["error"]["code"] == "http_status" and "403" in execution["error"]["message"]
