"""`agentic`: validate and run graph files locally through Temporal, or work
with a platform API (login, deploy, run by workflow id, follow, executions)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from cli import remote
from cli.api_client import ApiClient, ApiFailure
from cli.inputs import UsageError
from core.keys import KeyProblem

LOCAL_SUFFIXES = (".json", ".yaml", ".yml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentic", description="Run and check workflow graphs, locally or "
                                     "against a platform API.")
    sub = parser.add_subparsers(dest="command", required=True)
    api = argparse.ArgumentParser(add_help=False)
    api.add_argument("--url", help="the API (default: AGENTIC_URL, else the URL you logged in to)")
    api.add_argument("--api-key", help="an API key (agk_...), sent as a bearer token (default: AGENTIC_API_KEY, "
                     "else the stored login token)")

    run = sub.add_parser("run", parents=[api], help="run a graph file through Temporal, or a deployed workflow "
                         "by its id through the API")
    run.add_argument("target", metavar="FILE|WORKFLOW_ID",
                     help="a .json/.yaml graph file (run locally) or a deployed workflow's id (run by the API)")
    _input_options(run)
    run.add_argument("--version", type=int, help="API runs: the workflow version (default: the latest)")
    run.add_argument("--follow", action="store_true",
                     help="API runs: print each node as it starts and finishes, then the result (local runs "
                          "always do)")

    validate = sub.add_parser("validate", help="print every problem of a graph file")
    validate.add_argument("file")
    validate_template = sub.add_parser("validate-template", help="print every problem of a template file "
                                       "(YAML or JSON, docs/templates.md), as the API checks it")
    validate_template.add_argument("file")

    login = sub.add_parser("login", help="log in to an API and store its token (AGENTIC_CONFIG_DIR, "
                           "default ~/.config/agentic, file mode 0600)")
    login.add_argument("--url", required=True, help="the API, e.g. http://127.0.0.1:8000")
    login.add_argument("--username", help="asked for when not given")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin "
                       "instead of prompting")

    deploy = sub.add_parser("deploy", parents=[api], help="save a graph file as a new workflow, or as a new "
                            "version of one (--workflow-id)")
    deploy.add_argument("file")
    deploy.add_argument("--workflow-id", help="save as the next version of this workflow")

    follow = sub.add_parser("follow", parents=[api], help="print an execution's nodes as they start and "
                            "finish, then its result; Ctrl-C stops watching, not the run")
    follow.add_argument("execution_id")

    executions = sub.add_parser("executions", parents=[api], help="list executions, newest first")
    executions.add_argument("--workflow", help="only this workflow's")
    executions.add_argument("--status", help="only those with this status")
    executions.add_argument("--limit", type=int, default=50)
    executions.add_argument("--json", action="store_true", help="the API's page as JSON")

    sub.add_parser("dev", help="start the dev stack (same as make run)")
    sub.add_parser("rewrap-secrets", help="after a master-key rotation: re-wrap every secret with the new key")
    return parser


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", action="append", metavar="KEY=VALUE|JSON",
                        help="a run input (repeatable): key=value (the value read as JSON when it parses, "
                             "else as a string) or a JSON object of inputs")
    parser.add_argument("--input-file", metavar="FILE", help="a JSON or YAML object of run inputs "
                        "(- for stdin); --input options override its keys")


def _runs_locally(target: str) -> bool:
    return target == "-" or target.endswith(LOCAL_SUFFIXES) or Path(target).is_file()


def _dispatch(args) -> int:
    if args.command == "validate":
        from cli.local import cmd_validate

        return cmd_validate(args)
    if args.command == "validate-template":
        from cli.template_check import cmd_validate_template

        return cmd_validate_template(args)
    if args.command == "run" and _runs_locally(args.target):
        from cli.local import cmd_run

        if args.version is not None or args.url or args.api_key:
            raise UsageError("--version, --url and --api-key are for a deployed workflow's id; a file runs "
                             "locally as it is (to run it on the API: agentic deploy FILE, then run its id)")
        return asyncio.run(cmd_run(args))
    if args.command == "dev":
        from cli.devstack import main as dev_main

        return dev_main()
    if args.command == "rewrap-secrets":
        from cli.rewrap import cmd_rewrap

        return asyncio.run(cmd_rewrap())
    return _remote(args)


def _remote(args) -> int:
    if args.command == "login":
        return remote.cmd_login(args)
    try:
        api = ApiClient.from_options(args.url, args.api_key)
    except UsageError as err:
        if args.command == "run":  # perhaps a file name mistyped
            raise UsageError(f"{args.target} is not a graph file; as a workflow id: {err}") from None
        raise
    try:
        command = {"run": remote.cmd_run, "deploy": remote.cmd_deploy, "follow": remote.cmd_follow,
                   "executions": remote.cmd_executions}[args.command]
        return command(api, args)
    finally:
        api.close()


def run(argv: list[str] | None = None) -> int:
    """The exit code: 0 done, 1 the run failed (or the API could not answer),
    2 a request refused (bad usage, or the API's 4xx), 130 interrupted."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except (UsageError, KeyProblem) as err:  # KeyProblem: a missing or bad key (payloads, signing)
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ApiFailure as failure:
        _print_failure(failure, hint=args.command != "login")
        return failure.exit_code


def _print_failure(failure: ApiFailure, *, hint: bool) -> None:
    print(f"error: {failure.code}: {failure.message}", file=sys.stderr)
    if isinstance(failure.details, list):
        for issue in failure.details:
            if isinstance(issue, dict) and {"path", "code", "message"} <= issue.keys():
                print(f"  {issue['path']}: [{issue['code']}] {issue['message']}", file=sys.stderr)
    if failure.status == 401 and hint:
        print("  (log in again: agentic login --url URL, or pass --api-key)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    code = run(argv)
    # After a local run, the Temporal SDK's native runtime can abort while the
    # interpreter finalizes ("PyGILState_Release"); the work is done, so leave directly.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
