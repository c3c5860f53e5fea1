"""docs/openapi.json must be the API's current OpenAPI document."""

from api.openapi import DOC, spec_text


def test_openapi_document_is_current():
    assert DOC.read_text() == spec_text(), "docs/openapi.json is stale: run `python -m api.openapi`"
