"""Every setting of every process, read from the environment (prefix AGENTIC_)."""

from __future__ import annotations

import functools
import re
from typing import Literal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credentials.names import SHARE_PATTERN, is_secret_name
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

    # Auth (the token settings are the API's: api/settings.py)
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
        None, description="when set, http_request may only reach these hosts (on top of the egress policy)"
    )

    # Egress policy of every outbound request (outbound/): internal and the
    # platform's own destinations are refused unless opened here.
    outbound_allow: list[str] = Field(
        default_factory=list, description="hostnames, '*.domain', addresses or CIDRs nodes may reach although "
        "internal (the platform's own endpoints stay refused)")
    outbound_allow_loopback: bool = Field(
        False, description="development only: loopback destinations other than the platform's own")
    outbound_deny: list[str] = Field(
        default_factory=list, description="more host:port endpoints of the platform, refused like Temporal's")

    # sql node: the platform's own PostgreSQL server is refused like every
    # platform endpoint, but for the databases named here (fnmatch patterns,
    # e.g. "scratch_*"; never the platform's own database). For development
    # and tests: where that server trusts local connections, one open
    # database lets a node reach the whole server.
    sql_platform_databases: list[str] = Field(default_factory=list)

    # shell node: privileged, off unless the operator enables it
    shell_enabled: bool = False
    shell_env_allowlist: list[str] = ["PATH", "LANG", "LC_ALL", "TZ"]
    shell_output_cap_bytes: int = 64 * 1024

    # llm node: any OpenAI-compatible endpoint
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    # The operator's key goes only to llm_base_url and to these base URLs.
    llm_api_key_base_urls: list[str] = Field(default_factory=list)

    # Approvals: an optional webhook told of requests/escalations/decisions,
    # with a link built from the public API address.
    approval_webhook_url: str | None = None
    public_api_url: str = "http://127.0.0.1:8000"

    # API -> worker signatures over plans, decisions and debug commands
    # (workflows/signatures.py); unset: generated under data_dir, never in production.
    signing_key: str | None = None
    signing_previous_keys: list[str] = Field(default_factory=list, description="still verify, during rotation")

    # The credentials store (credentials/): the master key wraps every secret's
    # data key; unset: generated under data_dir, never in production. Previous
    # keys still decrypt while `agentic rewrap-secrets` moves rows to the new one.
    secrets_master_key: str | None = None
    secrets_previous_master_keys: list[str] = Field(default_factory=list)
    # The operator's environment secrets (AGENTIC_SECRET_<NAME> on the worker)
    # serve admins and operator (CLI) runs, and the roles granted here:
    # {"DEMO": ["role:ops"]}. The API and the worker need the same value.
    env_secret_grants: dict[str, list[str]] = Field(default_factory=dict)

    # Logs (core/logs.py): unset format = json in production, text in development.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"] = "INFO"

    # The payload codec (core/payload_codec.py): what reaches Temporal is
    # AES-256-GCM ciphertext. Keys: JSON list of "<id>:<base64 of 32 bytes>",
    # the current key first, retired keys after it (they still decrypt);
    # unset: generated under data_dir, never in production.
    payload_encryption: bool = True
    payload_keys: list[str] = Field(default_factory=list, description="'<id>:<base64 key>', current first")

    # The worker
    worker_max_concurrent_activities: int = 100
    # host:port of the worker's Prometheus endpoint (the Temporal SDK's exporter,
    # node metrics included: worker/metrics.py); unset: no metrics endpoint.
    worker_metrics_address: str | None = None

    # Compliance scanning (compliance/): 'regex' (presidio's pattern recognizers
    # and ours, no NLP) or 'spacy' (adds PERSON and LOCATION; the model must be
    # installed as a package, never downloaded); per-entity score thresholds
    # over the defaults of compliance/detect.py; the salt of findings' value
    # hashes (unset: generated under data_dir, never in production).
    compliance_nlp: Literal["regex", "spacy"] = "regex"
    compliance_spacy_model: str = "en_core_web_sm"
    compliance_thresholds: dict[str, float] = Field(default_factory=dict)
    compliance_salt: str | None = None

    @field_validator("env_secret_grants")
    @classmethod
    def _grants(cls, grants: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, roles in grants.items():
            if not is_secret_name(name):
                raise ValueError(f"{name!r} is not a secret name (upper case letters, digits, '_')")
            for role in roles:
                if not re.match(SHARE_PATTERN, role):
                    raise ValueError(f"grant {role!r} of {name} is not 'role:<name>'")
        return grants

    @field_validator("compliance_thresholds")
    @classmethod
    def _thresholds(cls, thresholds: dict[str, float]) -> dict[str, float]:
        for entity, score in thresholds.items():
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,63}", entity) or not 0 <= score <= 1:
                raise ValueError(f"threshold {entity}={score}: an entity name (e.g. US_SSN) and a score in [0, 1]")
        return thresholds

    @property
    def is_production(self) -> bool:
        return self.environment.lower() == "production"

    def compliance_hash_salt(self) -> bytes:
        from core.keys import installation_key

        return installation_key("AGENTIC_COMPLIANCE_SALT", self.compliance_salt, data_dir=self.data_dir,
                                production=self.is_production).encode()

    def signing_secret(self) -> str:
        from core.keys import installation_key

        return installation_key("AGENTIC_SIGNING_KEY", self.signing_key, data_dir=self.data_dir,
                                production=self.is_production)

    def payload_keyring(self):
        """The codec's keys: required with encryption on (generated outside
        production); with it off, the configured ones still decrypt old runs,
        and None when there are none. Raises core.keys.KeyProblem for a
        missing (production) or malformed key."""
        from core.payload_keys import parse_keys, payload_keys

        if not self.payload_encryption:
            return parse_keys(self.payload_keys) if self.payload_keys else None
        return payload_keys(self.payload_keys, data_dir=self.data_dir, production=self.is_production)


@functools.cache
def get_settings() -> Settings:
    return Settings()
