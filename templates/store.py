"""Templates in PostgreSQL: a row per template, an immutable row per version."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import new_id
from core.db.models import Template, TemplateVersion
from templates.spec import TemplateSpec, semver_key


class VersionNotNewer(ValueError):
    """A new version's semver must be greater than the latest one's."""


def add(session: AsyncSession, spec: TemplateSpec, *, owner_id: str | None, created_by: str | None,
        builtin_key: str | None = None, public: bool = False) -> Template:
    """A new template with its version 1 (flushed by the caller's commit)."""
    row = Template(id=new_id(), owner_id=owner_id, builtin_key=builtin_key, public=public, latest_version=1)
    _describe(row, spec)
    session.add(row)
    session.add(_version_row(row, 1, spec, created_by))
    return row


async def add_version(session: AsyncSession, row: Template, spec: TemplateSpec,
                      created_by: str | None) -> TemplateVersion:
    """The next version; the caller holds the row lock (two PUTs get consecutive numbers)."""
    if semver_key(spec.version) <= semver_key(row.semver):
        raise VersionNotNewer(f"version {spec.version} is not greater than the latest, {row.semver}")
    row.latest_version += 1
    _describe(row, spec)
    row.updated_at = datetime.now(UTC)
    version = _version_row(row, row.latest_version, spec, created_by)
    session.add(version)
    return version


async def version(session: AsyncSession, row: Template, number: int | None = None) -> TemplateVersion | None:
    return await session.scalar(select(TemplateVersion).where(
        TemplateVersion.template_id == row.id, TemplateVersion.version == (number or row.latest_version)))


async def versions(session: AsyncSession, row: Template) -> list[TemplateVersion]:
    return list((await session.scalars(select(TemplateVersion).where(
        TemplateVersion.template_id == row.id).order_by(TemplateVersion.version))).all())


def _describe(row: Template, spec: TemplateSpec) -> None:
    row.name, row.description, row.category, row.tags = spec.name, spec.description, spec.category, spec.tags
    row.semver, row.author = spec.version, spec.author
    row.definition = spec.model_dump(mode="json")


def _version_row(row: Template, number: int, spec: TemplateSpec, created_by: str | None) -> TemplateVersion:
    return TemplateVersion(template_id=row.id, version=number, semver=spec.version,
                           spec=spec.model_dump(mode="json"), digest=spec.digest(), created_by=created_by)
