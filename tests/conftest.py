"""Everything under tests/integration/ is marked `integration` (real Temporal,
and PostgreSQL for the API tests): `pytest -m "not integration"` runs the unit
tests alone, with no services."""

from __future__ import annotations

from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
