"""Templates: a version's spec in, a template and its versions out, deploys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field

from api.schemas.common import MAX_INT, FromRow, Strict, UtcDatetime
from api.schemas.workflows import WorkflowDetail


class TemplateCreate(Strict):
    """A template version: the spec of templates/spec.py, with the graph given
    or taken from one of the caller's workflows (`workflow_id`, `workflow_version`)."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: str = Field("general", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=20)
    version: str = Field("1.0.0", max_length=64, description="semver; a PUT must increase it")
    author: str | None = Field(None, max_length=200, description="default: the caller's user name")
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}},
                                       description="JSON Schema of the values bound as {{ params.x }} at deploy")
    secrets: list[str] = Field(default_factory=list, max_length=50, description="names only, never values")
    schedule: str | None = Field(None, max_length=200, description="a suggested cron")
    graph: dict[str, Any] | None = Field(None, description="a workflow definition (docs/dsl.md)")
    workflow_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")
    workflow_version: int | None = Field(None, ge=1, le=MAX_INT)


class TemplatePublic(FromRow):
    id: str
    name: str
    description: str
    category: str
    tags: list[str]
    version: str = Field(validation_alias="semver", description="the latest version's semver")
    latest_version: int
    author: str
    owner_id: str | None
    public: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime
    builtin_key: str | None = Field(exclude=True)
    definition: dict[str, Any] = Field(exclude=True)

    @computed_field
    @property
    def builtin(self) -> bool:
        return self.builtin_key is not None

    @computed_field
    @property
    def node_types(self) -> list[str]:
        return self.definition.get("node_types", [])

    @computed_field
    @property
    def secrets(self) -> list[str]:
        return self.definition.get("secrets", [])


class TemplateDetail(TemplatePublic):
    @computed_field
    @property
    def parameters(self) -> dict[str, Any]:
        return self.definition.get("parameters", {})

    @computed_field
    @property
    def schedule(self) -> str | None:
        return self.definition.get("schedule")

    @computed_field
    @property
    def graph(self) -> dict[str, Any]:
        return self.definition.get("graph", {})


class TemplateVersionPublic(FromRow):
    version: int
    semver: str
    digest: str
    created_by: str | None
    created_at: UtcDatetime


class CategoryCount(BaseModel):
    category: str
    count: int


class TemplatePublish(Strict):
    public: bool = Field(description="true: every user sees it; false: only its owner (and admins)")


class DeployRun(Strict):
    inputs: dict[str, Any] = Field(default_factory=dict)


class TemplateDeployRequest(Strict):
    params: dict[str, Any] = Field(default_factory=dict, description="validated against the parameters schema")
    name: str | None = Field(None, min_length=1, max_length=200, description="default: the template's name")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="the template version; default the latest")
    run: DeployRun | None = Field(None, description="also start a first run (trigger `template`)")


class TemplateDeployed(BaseModel):
    template_id: str
    template_version: int
    workflow: WorkflowDetail
    execution_id: str | None = None
    warnings: list[dict[str, Any]] = Field(default_factory=list)
