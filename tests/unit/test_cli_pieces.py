"""The CLI's pieces without services: run inputs, documents, the node printer,
the stored login, the API address and ids, the shared result model."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cli import credentials
from cli.api_client import ApiClient, base_url, resource_id
from cli.inputs import UsageError, load_document, run_inputs
from cli.progress import NodePrinter
from core.launch import new_execution_id
from workflows.plan import NodeSummary
from workflows.results import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]


def test_inputs_from_a_file_then_options(tmp_path):
    path = tmp_path / "in.yaml"
    path.write_text("name: ada\ncount: 2\ntags: [a, b]\n")
    assert run_inputs(["count=5", "ok=true", "zip=01234", "text=hello world", '{"extra": {"n": 1}}'], str(path)) \
        == {"name": "ada", "count": 5, "tags": ["a", "b"], "ok": True, "zip": "01234", "text": "hello world",
            "extra": {"n": 1}}
    (tmp_path / "in.json").write_text('{"name": "bob"}')
    assert run_inputs(None, str(tmp_path / "in.json")) == {"name": "bob"}
    assert run_inputs(["eq=a=b"], None) == {"eq": "a=b"}  # only the first = splits


def test_inputs_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"amount": 5}'))
    assert run_inputs([], "-") == {"amount": 5}


@pytest.mark.parametrize("options, content, message", [
    (["novalue"], None, "expected key=value or a JSON object"),
    (["=x"], None, "expected key=value or a JSON object"),
    (["{not json"], None, "--input is not a JSON object"),
    ([], "[1, 2]", "expected an object of inputs, got list"),
    ([], "", "expected an object of inputs, got null"),
    ([], "a: [unclosed", "neither JSON nor YAML"),
    ([], "day: 2026-12-01", "a value JSON cannot carry"),
    ([], "n: .nan", "a value JSON cannot carry"),
    ([], '{"n": NaN}', "a value JSON cannot carry"),
])
def test_bad_inputs_are_usage_errors(tmp_path, options, content, message):
    path = None
    if content is not None:
        path = tmp_path / "in.txt"
        path.write_text(content)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        run_inputs(options, str(path) if path else None)


def test_a_missing_or_binary_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_document(str(tmp_path / "nope.json"))
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_document(str(tmp_path / "bin"))


def _nodes(**states) -> dict[str, NodeSummary]:
    return {k: NodeSummary(state=v, started_at=None if v in ("pending", "skipped") else "t", duration_ms=1.0)
            for k, v in states.items()}


def test_every_node_is_printed_as_it_starts_and_finishes_once():
    """Regression: nodes still pending at the first snapshot were never
    printed as starting (only the first node was)."""
    out = io.StringIO()
    printer = NodePrinter(out)
    printer.update(_nodes(a="running", b="pending", c="pending", d="pending"))
    printer.update(_nodes(a="succeeded", b="running", c="pending", d="pending"))
    printer.update(_nodes(a="succeeded", b="running", c="pending", d="pending"))  # no change: nothing
    printer.update(_nodes(a="succeeded", b="succeeded", c="succeeded", d="skipped"))  # c ran between two
    assert out.getvalue().splitlines() == [
        "  a: running", "  a: succeeded in 1 ms", "  b: running", "  b: succeeded in 1 ms",
        "  c: running", "  c: succeeded in 1 ms", "  d: skipped"]


def test_one_snapshot_prints_in_the_order_things_happened():
    """A recorded summary lists nodes in any order (JSONB): the lines follow
    the timestamps (either UTC spelling), the start of a node before its end."""
    out = io.StringIO()
    printer = NodePrinter(out)

    def node(start: str, end: str | None) -> NodeSummary:
        return NodeSummary(state="succeeded" if end else "running", started_at=f"2026-01-01T00:00:{start}",
                           finished_at=end and f"2026-01-01T00:00:{end}", duration_ms=1.0)

    printer.update({"first": node("01+00:00", None)})
    # "next" started in the workflow task that saw "middle" end: the same instant.
    printer.update({"last": node("05Z", "06Z"), "next": node("04Z", None), "first": node("01+00:00", "02+00:00"),
                    "middle": node("03Z", "04+00:00"), "instant": node("07Z", "07Z")})
    assert out.getvalue().splitlines() == [
        "  first: running", "  first: succeeded in 1 ms", "  middle: running", "  middle: succeeded in 1 ms",
        "  next: running", "  last: running", "  last: succeeded in 1 ms", "  instant: running",
        "  instant: succeeded in 1 ms"]


def test_failed_and_reused_nodes_say_so():
    out = io.StringIO()
    NodePrinter(out).update({
        "bad": NodeSummary(state="failed", started_at="t", duration_ms=2.4, error={"code": "x", "message": "boom"}),
        "old": NodeSummary(state="succeeded", started_at="t", reused=True),
        "never": NodeSummary(state="cancelled")})
    assert out.getvalue().splitlines() == ["  bad: running", "  bad: failed in 2 ms: boom", "  old: succeeded (reused)",
                                           "  never: cancelled"]


def test_credentials_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTIC_CONFIG_DIR", str(tmp_path / "cfg"))
    assert credentials.load() is None
    saved = credentials.save(credentials.Credentials(url="http://api", token="t1", username="ada"))
    assert saved == tmp_path / "cfg" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    credentials.save(credentials.Credentials(url="http://api", token="t2"))  # replaced, still private
    assert credentials.load() == credentials.Credentials(url="http://api", token="t2")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert [p.name for p in saved.parent.iterdir()] == ["credentials.json"]  # no temporary left behind


def test_a_stored_token_goes_only_to_its_own_api(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTIC_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("AGENTIC_URL", raising=False)
    monkeypatch.delenv("AGENTIC_API_KEY", raising=False)
    with pytest.raises(UsageError, match="agentic login --url URL"):
        ApiClient.from_options(None, None)
    credentials.save(credentials.Credentials(url="http://api.example/", token="secret"))
    assert ApiClient.from_options(None, None).url == "http://api.example"
    with pytest.raises(UsageError, match="not logged in to http://elsewhere.example"):
        ApiClient.from_options("http://elsewhere.example", None)
    assert ApiClient.from_options("http://elsewhere.example", "agk_key").url == "http://elsewhere.example"
    monkeypatch.setenv("AGENTIC_API_KEY", "agk_env")
    assert ApiClient.from_options("http://elsewhere.example", None).url == "http://elsewhere.example"


@pytest.mark.parametrize("url", ["ftp://x", "127.0.0.1:8000", "http://", "file:///etc/passwd"])
def test_the_api_url_must_be_http(url):
    with pytest.raises(UsageError, match="not an http"):
        base_url(url)


@pytest.mark.parametrize("value", ["..", "a/b", "", "x" * 65, "a b", "%2e"])
def test_ids_cannot_become_other_paths(value):
    with pytest.raises(UsageError):
        resource_id(value, "workflow")


def test_local_runs_use_the_api_id_form():
    """Regression: CLI runs were named by a dashless hex id, API runs by a UUID."""
    execution_id = new_execution_id()
    assert str(uuid.UUID(execution_id)) == execution_id


def test_the_api_answers_the_shared_result_model():
    from api.schemas.executions import ExecutionResult as Answered

    assert Answered is ExecutionResult
    result = ExecutionResult.of("e", "succeeded", None, {"a": NodeSummary(state="succeeded", output=1),
                                                         "b": {"state": "skipped", "output": None},
                                                         "c": {"state": "succeeded", "reused": True, "output": 3}})
    # A skipped node has no output (absent, not null); a rerun's reused node says so.
    assert result.model_dump() == {
        "id": "e", "status": "succeeded", "outputs": {"a": 1, "c": 3}, "error": None,
        "nodes": [{"id": "a", "state": "succeeded", "output": 1, "error": None},
                  {"id": "b", "state": "skipped", "output": None, "error": None},
                  {"id": "c", "state": "reused", "output": 3, "error": None}]}


def test_the_cli_loads_no_api_code():
    """The CLI is a client of the API over HTTP: neither api/ nor FastAPI on its path."""
    script = ("import sys, cli.main, cli.remote, cli.local\n"
              "print(' '.join(sorted({n.split('.')[0] for n in sys.modules} & {'api', 'fastapi', 'starlette'})))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def test_nodes_as_the_api_shows_them_are_printed_whatever_their_state():
    from cli.remote import _summary

    out = io.StringIO()
    NodePrinter(out).update({
        "old": _summary({"state": "reused", "started_at": "2026-01-01T00:00:01Z", "output": 1}),
        "odd": _summary({"state": "frozen", "started_at": None, "attempts": "many"}),
        "ok": _summary({"state": "succeeded", "started_at": "2026-01-01T00:00:02Z",
                        "finished_at": "2026-01-01T00:00:03Z", "duration_ms": 1000.0, "new_field": True})})
    assert out.getvalue().splitlines() == ["  ok: running", "  ok: succeeded in 1000 ms", "  old: succeeded (reused)",
                                           "  odd: frozen"]
