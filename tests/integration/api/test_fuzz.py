"""Property-based fuzzing of the OpenAPI schema (schemathesis, bounded examples)
against the API as a real process: no 5xx, and responses match the schema."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from cli.devserver import free_port

from .test_crash import start_api, wait_live

EXAMPLES_PER_OPERATION = 12


def not_a_server_error(ctx, response, case) -> None:
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"


@pytest.fixture
async def api_process(api_settings, app):
    port = free_port()
    process = start_api(api_settings, port)
    try:
        await wait_live(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=10)


async def test_openapi_fuzz(api_process, admin_headers, make_user):
    schema = schemathesis.openapi.from_url(f"{api_process}/openapi.json")
    failures: list[str] = []
    # Logout revokes every token of the caller: fuzzed with the admin's, the rest of
    # the session would run unauthenticated; wrong current passwords lock the account.
    # A throwaway user's token instead.
    _, throwaway = await make_user()
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = throwaway if operation.path.endswith(("/auth/logout", "/auth/password")) else admin_headers
        await asyncio.to_thread(fuzz_operation, operation, api_process, headers, failures)
    assert not failures, "\n".join(failures[:20])


def fuzz_operation(operation, base_url: str, headers: dict, failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=[
                not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance])
        except Exception as err:  # noqa: BLE001 - collect, report all at the end
            failures.append(f"{case.method} {case.formatted_path}: {err}"[:2000])

    run()
