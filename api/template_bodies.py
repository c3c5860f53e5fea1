"""The body of POST /templates/import: JSON, YAML, or a multipart file upload
(field `file`), read into one value for templates/checks.py."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.errors import ApiError
from templates import files

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
SPEC_SCHEMA = {"type": "object", "description": "a template as GET /templates/{id}/export answers it"}
IMPORT_BODY = {"required": True, "content": {
    "application/json": {"schema": SPEC_SCHEMA},
    "application/yaml": {"schema": {"type": "string", "description": "the same, as YAML"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}


async def read_import(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise _unreadable("the upload has no file field `file`", "$.file")
        text = await upload.read()
    elif kind == "application/json" or kind in YAML_TYPES or kind == "":
        text = await request.body()
    else:
        raise ApiError(415, "unsupported_media_type",
                       f"send JSON, YAML or a multipart file upload, not {kind!r}")
    try:
        return files.read(text)
    except files.UnreadableTemplate as err:
        raise _unreadable(str(err), "$") from None


def _unreadable(message: str, path: str) -> ApiError:
    return ApiError(422, "unreadable_template", message, [{"code": "unreadable_template", "path": path,
                                                           "message": message}])
