"""`python -m api.openapi`: writes docs/openapi.json, the API reference's
source of truth (tests/unit/test_openapi_doc.py fails when it is stale)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from api.app import create_app
from api.settings import ApiSettings

DOC = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def spec_text() -> str:
    # No database or Temporal is touched: the schema needs only the routes (and a
    # throwaway key, so no installation key is generated for a document).
    settings = ApiSettings(database_url="postgresql://unused@127.0.0.1/unused",
                           jwt_secret=secrets.token_urlsafe(48), signing_key=secrets.token_urlsafe(48),
                           secrets_master_key=secrets.token_urlsafe(48))
    app = create_app(settings, reconcile=False)
    return json.dumps(app.openapi(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    DOC.write_text(spec_text())
    print(f"wrote {DOC}")
