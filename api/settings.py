"""Settings only the API process reads, on top of the shared ones."""

from __future__ import annotations

import functools

from core.settings import DEFAULT_JWT_SECRET, Settings

MIN_SECRET_LENGTH = 32


class ApiSettings(Settings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # A "pending" execution row older than this is assumed orphaned by a crash
    # between the row's commit and the Temporal start; the reconciler starts it.
    reconcile_grace_s: float = 5.0
    reconcile_interval_s: float = 10.0

    def check_production(self) -> None:
        """Production refuses a guessable signing key."""
        if not self.is_production:
            return
        if self.jwt_secret == DEFAULT_JWT_SECRET or len(self.jwt_secret) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                f"AGENTIC_JWT_SECRET must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production"
            )


@functools.cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
