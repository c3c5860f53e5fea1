"""`agentic rewrap-secrets`: after a master-key rotation, re-wraps every
secret's data key (and every webhook signing secret's) with the current key
(values are not re-encrypted), so the previous key can then be removed from
AGENTIC_SECRETS_PREVIOUS_MASTER_KEYS."""

from __future__ import annotations

import sys

from api.webhooks import rewrap_secrets as rewrap_webhook_secrets
from core.db.session import make_engine, make_sessionmaker
from core.settings import get_settings
from credentials.keys import keyring
from credentials.store import rewrap_all


async def cmd_rewrap() -> int:
    settings = get_settings()
    if not settings.database_url:
        sys.exit("set AGENTIC_DATABASE_URL to the platform's database")
    ring = keyring(settings)
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            changed = await rewrap_all(session, ring)
            hooks = await rewrap_webhook_secrets(session, ring)
    finally:
        await engine.dispose()
    print(f"{changed} secret(s) and {hooks} webhook signing secret(s) re-wrapped with key {ring.current.id}")
    return 0
