"""Settings only the API process reads, on top of the shared ones."""

from __future__ import annotations

import functools

from pydantic import Field, model_validator

from core.keys import check_key, installation_key
from core.settings import Settings

# A stolen token is useful for at most this long, whatever the settings say.
MAX_TOKEN_LIFETIME_MINUTES = 24 * 60


class ApiSettings(Settings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # A "pending" execution row older than this is assumed orphaned by a crash
    # between the row's commit and the Temporal start; the reconciler starts it.
    reconcile_grace_s: float = 5.0
    reconcile_interval_s: float = 10.0

    # Access tokens (api/security.py). No default key: unset, one is generated
    # under data_dir (core/keys.py), and production refuses to start.
    jwt_secret: str | None = None
    jwt_previous_secrets: list[str] = Field(
        [], description="keys still accepted when verifying (JSON list): the old key while rotating")
    jwt_expiry_minutes: int = Field(30, ge=1, le=MAX_TOKEN_LIFETIME_MINUTES)
    jwt_max_lifetime_minutes: int | None = Field(
        None, ge=1, le=MAX_TOKEN_LIFETIME_MINUTES,
        description="tokens living longer (exp - iat) are refused; unset: jwt_expiry_minutes")

    # Refresh tokens (api/refresh_tokens.py): each one lives refresh_expiry_hours (using it
    # gives a new one), and no chain outlives the password login that began it by more than
    # refresh_session_max_hours.
    refresh_expiry_hours: float = Field(7 * 24, gt=0, le=90 * 24,
                                        description="a refresh token unused this long expires")
    refresh_session_max_hours: float = Field(
        30 * 24, gt=0, le=365 * 24, description="a login's refresh chain ends this long after the login")

    # Throttling of the endpoints anyone may call (api/throttle.py, api/lockout.py).
    # Per client address and per API process (memory); account locks are shared (database).
    register_per_minute: int = Field(5, ge=1, description="registrations per client address per minute")
    login_failures_per_minute: int = Field(
        10, ge=1, description="failed logins per client address per minute, for any username")
    login_lock_after: int = Field(5, ge=1, description="consecutive failed logins that lock an account")
    login_lock_s: float = Field(30, gt=0, description="the first lock; each further failure doubles it")
    login_lock_max_s: float = Field(900, gt=0)

    # Inbound webhooks (api/routes/hooks.py): the largest delivery body taken
    # (within max_body_bytes, which bounds every request).
    webhook_max_body_bytes: int = Field(512 * 1024, ge=1)

    # GET /metrics (api/routes/metrics.py): when set, scrapers send it as a bearer token.
    metrics_token: str | None = None
    # The platform gauges (executions, approvals, schedules) are recounted at most this often.
    metrics_counts_max_age_s: float = Field(10.0, ge=0)

    @model_validator(mode="after")
    def _expiry_within_lifetime(self) -> ApiSettings:
        if self.jwt_expiry_minutes > self.jwt_max_lifetime_minutes_effective:
            raise ValueError("AGENTIC_JWT_EXPIRY_MINUTES is over AGENTIC_JWT_MAX_LIFETIME_MINUTES: "
                             "the API would refuse its own tokens")
        return self

    @property
    def jwt_max_lifetime_minutes_effective(self) -> int:
        return self.jwt_max_lifetime_minutes or self.jwt_expiry_minutes

    def jwt_keys(self) -> tuple[str, list[str]]:
        """The signing key and the previous keys still accepted. Raises
        core.keys.KeyProblem for a missing (production), short or known key."""
        current = installation_key("AGENTIC_JWT_SECRET", self.jwt_secret, data_dir=self.data_dir,
                                   production=self.is_production)
        previous = [check_key("AGENTIC_JWT_PREVIOUS_SECRETS", key) for key in self.jwt_previous_secrets]
        return current, previous


@functools.cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
