"""The CLI against a platform API (local or remote): login, deploy, run by
workflow id, follow an execution, list executions. Machine-readable answers
go to stdout as JSON; progress and messages to stderr."""

from __future__ import annotations

import getpass
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from cli import credentials
from cli.api_client import ApiClient, ApiFailure, base_url, resource_id
from cli.inputs import UsageError, load_document, run_inputs
from cli.progress import NodePrinter
from core.db.models import TERMINAL_EXECUTION_STATUSES
from workflows.plan import NodeSummary

POLL_S = 0.5


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _emit(value: Any) -> None:
    print(json.dumps(value), flush=True)


def cmd_login(args) -> int:
    url = base_url(args.url)
    if url.startswith("http://") and not _loopback(url):
        _err(f"warning: {url} is plain http: the password and token cross the network unencrypted")
    username = args.username or _prompt("username: ")
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else _secret("password: ")
    if not username or not password:
        raise UsageError("a username and a password are needed")
    api = ApiClient(url, None)
    try:
        token = api.post("/api/v1/auth/token", data={"username": username, "password": password})
    finally:
        api.close()
    where = credentials.save(credentials.Credentials(url=url, token=token["access_token"], username=username))
    minutes = round(token.get("expires_in", 0) / 60)
    _err(f"logged in to {url} as {username} (token in {where}, valid {minutes} min)")
    return 0


def cmd_deploy(api: ApiClient, args) -> int:
    """A new workflow, or (--workflow-id) a new version of an existing one."""
    definition = load_document(args.file)
    if args.workflow_id:
        saved = api.put(f"/api/v1/workflows/{resource_id(args.workflow_id, 'workflow')}", json=definition)
    else:
        saved = api.post("/api/v1/workflows", json=definition)
    _err(f"deployed {saved['name']!r}: workflow {saved['id']} version {saved['latest_version']}")
    _emit({"id": saved["id"], "name": saved["name"], "version": saved["latest_version"]})
    return 0


def cmd_run(api: ApiClient, args) -> int:
    body: dict[str, Any] = {"inputs": run_inputs(args.input, args.input_file)}
    if args.version is not None:
        body["version"] = args.version
    accepted = api.post(f"/api/v1/workflows/{resource_id(args.target, 'workflow')}/executions", json=body)
    _err(f"started {accepted['id']}  {accepted['ui_url']}")
    if not args.follow:
        _emit(accepted)
        return 0
    return follow(api, accepted["id"])


def cmd_follow(api: ApiClient, args) -> int:
    return follow(api, resource_id(args.execution_id, "execution"))


def follow(api: ApiClient, execution_id: str) -> int:
    """Prints node starts and finishes until the execution ends, then its
    result (the API's /result). Exit 0 when it succeeded, 1 otherwise."""
    try:
        _watch(api, execution_id)
    except KeyboardInterrupt:  # stop watching, never cancel the run
        _err(f"stopped following {execution_id}: it keeps running (`agentic follow {execution_id}` "
             "picks it up again)")
        raise
    result = _result(api, execution_id)
    _emit(result)
    return 0 if result["status"] == "succeeded" else 1


def _watch(api: ApiClient, execution_id: str) -> None:
    printer = NodePrinter()
    status = None
    while True:
        detail = api.get(f"/api/v1/executions/{execution_id}")
        printer.update({k: _summary(v) for k, v in (detail.get("nodes") or {}).items()})
        if detail["status"] != status and detail["status"] not in ("pending", "running"):
            _err(f"{execution_id}: {detail['status']}")
        status = detail["status"]
        if status in TERMINAL_EXECUTION_STATUSES:
            return
        time.sleep(POLL_S)


def _summary(node: dict[str, Any]) -> NodeSummary:
    """A node as the API shows it. Printing must not break on what a newer API
    adds: a rerun's node may read `reused` as its state, and a state or field
    this CLI does not know is printed as it is rather than refused."""
    if node.get("state") == "reused":
        node = {**node, "state": "succeeded", "reused": True}
    try:
        return NodeSummary.model_validate(node)
    except ValidationError:
        return NodeSummary.model_construct(**{k: v for k, v in node.items() if k in NodeSummary.model_fields})


def _result(api: ApiClient, execution_id: str) -> dict[str, Any]:
    for _ in range(20):  # finished live, its record still on the way: moments
        try:
            return api.get(f"/api/v1/executions/{execution_id}/result")
        except ApiFailure as failure:
            if failure.code != "not_finished":
                raise
        time.sleep(POLL_S)
    return api.get(f"/api/v1/executions/{execution_id}/result")


def cmd_executions(api: ApiClient, args) -> int:
    params: dict[str, Any] = {"limit": args.limit}
    if args.workflow:
        params["workflow_id"] = resource_id(args.workflow, "workflow")
    if args.status:
        params["status"] = args.status
    page = api.get("/api/v1/executions", params=params)
    if args.json:
        _emit(page)
        return 0
    for item in page["items"]:
        print(f"{item['id']}  {item['status']:<10}  {item['workflow_id']} v{item['version']}  {item['created_at']}")
    _err(f"{len(page['items'])} of {page['total']}")
    return 0


def _loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def _prompt(text: str) -> str:
    _err_inline(text)
    return sys.stdin.readline().strip()


def _secret(text: str) -> str:
    return getpass.getpass(text, stream=sys.stderr)


def _err_inline(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
