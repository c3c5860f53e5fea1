"""One template version as data: what a file, an import or a POST holds."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")
SECRET_NAME = r"^[A-Z][A-Z0-9_]{0,63}$"


def semver_key(text: str) -> tuple:
    """Orders versions as semver does: a pre-release sorts before its release."""
    match = SEMVER.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    major, minor, patch, pre = match.groups()
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (int(major), int(minor), int(patch), 0 if pre else 1, parts)


class TemplateSpec(BaseModel):
    """`graph` is a workflow definition (docs/dsl.md) whose strings may hold
    `{{ params.x }}`, bound once at deploy; `parameters` is their JSON Schema
    (each property with a `default` or `examples`, so the graph can be checked
    as it would deploy). `secrets`: names only, never values."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: str = Field("general", min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")
    tags: list[str] = Field(default_factory=list, max_length=20)
    version: str = Field("1.0.0", max_length=64)
    author: str = Field("", max_length=200)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    secrets: list[str] = Field(default_factory=list, max_length=50)
    schedule: str | None = Field(None, max_length=200, description="a suggested cron, e.g. '*/5 * * * *'")
    node_types: list[str] = Field(default_factory=list, description="computed from the graph; ignored on input")
    graph: dict[str, Any]

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        semver_key(value)
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not 1 <= len(tag) <= 100:
                raise ValueError("each tag has 1 to 100 characters")
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.match(SECRET_NAME, name)]
        if bad:
            raise ValueError(f"invalid secret name(s) {bad}: upper case letters, digits and '_'")
        return sorted(set(value))

    def digest(self) -> str:
        """sha256 of the canonical JSON: equal specs, equal digests."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
