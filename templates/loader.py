"""The built-in templates: files in templates/builtin/ (YAML or JSON), loaded
into the templates table at API start. Idempotent: a file is found again by
its name (`builtin_key`), an unchanged file (same digest) adds nothing, a
changed one becomes a new version (its semver must grow, else it is refused
and logged). Concurrent loaders (two API processes starting) take turns on an
advisory lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import expression_threads
from core.db.models import Template
from templates import checks, files, store

log = logging.getLogger(__name__)
BUILTIN_DIR = Path(__file__).parent / "builtin"
LOCK_KEY = 0x7E3A11  # pg_advisory_xact_lock: one loader at a time
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, list] = field(default_factory=dict)


async def load_builtins(session: AsyncSession, directory: Path = BUILTIN_DIR) -> LoadReport:
    """Loads every file of `directory` and commits."""
    report = LoadReport()
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES):
        key = path.stem
        problems = await _load_one(session, key, path, report)
        if problems:
            report.refused[key] = problems
            log.error("built-in template %s refused: %s", path.name, problems)
    await session.commit()
    return report


async def _load_one(session: AsyncSession, key: str, path: Path, report: LoadReport) -> list:
    try:
        raw = files.read(path.read_bytes())
    except files.UnreadableTemplate as err:
        return [{"code": "unreadable", "path": "$", "message": str(err)}]
    spec, problems = checks.parse(raw)
    if spec is None:
        return problems
    spec, problems = await expression_threads.offload(checks.check, spec)
    if problems:
        return problems
    row = await session.scalar(select(Template).where(Template.builtin_key == key))
    if row is None:
        store.add(session, spec, owner_id=None, created_by=None, builtin_key=key, public=True)
        report.created.append(key)
        return []
    latest = await store.version(session, row)
    if latest is not None and latest.digest == spec.digest():
        report.unchanged.append(key)
        return []
    try:
        await store.add_version(session, row, spec, created_by=None)
    except store.VersionNotNewer as err:
        return [{"code": "version_not_newer", "path": "$.version", "message": str(err)}]
    report.updated.append(key)
    return []
