"""Every setting of every process, read from the environment (prefix AGENTIC_)."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AGENTIC_", extra="ignore")

    environment: str = Field("development", description="'development' or 'production'")
    # Generated installation keys (core/keys.py) and `make run` state live here.
    data_dir: str = str(PROJECT_ROOT / ".data")

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "agentic"
    temporal_api_key: str | None = None
    temporal_tls_cert: str | None = Field(None, description="client certificate path (mTLS)")
    temporal_tls_key: str | None = Field(None, description="client key path (mTLS)")
    temporal_ui_url: str = "http://127.0.0.1:8233"

    # PostgreSQL; unset means `make run` starts an embedded server under .data/
    database_url: str | None = None

    # Auth
    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_expiry_minutes: int = 30
    admin_username: str = "admin"
    admin_password: str | None = None
    max_body_bytes: int = 1_048_576

    # Engine limits
    node_output_cap_bytes: int = 256 * 1024
    # Wall-clock limit of one expression evaluation in an activity or the API
    # (workflow code uses only the deterministic limits of workflows/expression_limits.py).
    expression_timeout_s: float = Field(2.0, gt=0)
    http_response_cap_bytes: int = 1_048_576
    http_allowed_hosts: list[str] | None = Field(
        None, description="when set, http_request may only reach these hosts"
    )

    # shell node: privileged, off unless the operator enables it
    shell_enabled: bool = False
    shell_env_allowlist: list[str] = ["PATH", "LANG", "LC_ALL", "TZ"]
    shell_output_cap_bytes: int = 64 * 1024

    # llm node: any OpenAI-compatible endpoint
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None

    # Approvals: an optional webhook told of requests/escalations/decisions,
    # with a link built from the public API address.
    approval_webhook_url: str | None = None
    public_api_url: str = "http://127.0.0.1:8000"

    # API -> worker signatures over plans, decisions and debug commands
    # (workflows/signatures.py); unset: generated under data_dir, never in production.
    signing_key: str | None = None

    # The worker
    worker_max_concurrent_activities: int = 100

    @property
    def is_production(self) -> bool:
        return self.environment.lower() == "production"

    def signing_secret(self) -> str:
        from core.keys import installation_key

        return installation_key("AGENTIC_SIGNING_KEY", self.signing_key, data_dir=self.data_dir,
                                production=self.is_production)


@functools.cache
def get_settings() -> Settings:
    return Settings()
