"""The schema. Later issues fill templates, debug sessions, approvals,
schedules and compliance scans; their shape is settled here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger, Boolean, DateTime, Enum, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
    UniqueConstraint, func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, created_column, id_column, ts_column

EXECUTION_STATUSES = ("pending", "running", "succeeded", "failed", "cancelled", "terminated", "timed_out")
TERMINAL_EXECUTION_STATUSES = frozenset({"succeeded", "failed", "cancelled", "terminated", "timed_out"})
# What started an execution (executions.trigger): an API call, a schedule's
# action, a rerun, an approval gate request, a template deploy, an agent's
# tool, an inbound webhook, or a run started outside the API (the CLI).
EXECUTION_TRIGGERS = ("api", "schedule", "rerun", "approval_gate", "template", "agent", "webhook", "cli")


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = id_column()
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Named roles an approver entry `role:<name>` matches (admin is the flag above, not a role).
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list, server_default="{}")
    created_at: Mapped[datetime] = created_column()
    # Tokens carry the version they were issued under; bumping it revokes them all.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Login throttling: consecutive failures and the lock they earned.
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = ts_column()

    # Unique regardless of case (migration 0005): `PT_BOB` cannot sit beside `pt_bob`.
    __table_args__ = (Index("uq_users_username_lower", func.lower(username), unique=True),)


class ApiKey(Base):
    """A long-lived credential for a machine: only the SHA-256 of the key is kept
    (the key is 256 random bits, so a fast hash is enough), with its first characters
    to recognise it by. Revoking keeps the row (revoked_at), for the record."""

    __tablename__ = "api_keys"
    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None] = ts_column()
    expires_at: Mapped[datetime | None] = ts_column()
    revoked_at: Mapped[datetime | None] = ts_column()

    __table_args__ = (Index("ix_api_keys_user_created", "user_id", "created_at"),)


class RefreshToken(Base):
    """One link of a login's refresh chain (its family). Only the SHA-256 of the
    token is kept. A used link stays until the family expires, so presenting it
    again is recognised as reuse (and ends the family)."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    family_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    # users.token_version at the login: a bump (logout, revoke, password change) ends the family.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The login's absolute end: no refresh carries a session past it.
    family_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = ts_column()
    revoked_at: Mapped[datetime | None] = ts_column()


class Workflow(Base):
    __tablename__ = "workflows"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    latest_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Deployed from a template: which one and which of its versions (its runs
    # carry the AgenticTemplate search attribute).
    template_id: Mapped[str | None] = mapped_column(String(64))
    template_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    deleted_at: Mapped[datetime | None] = ts_column()  # soft delete

    __table_args__ = (
        Index("ix_workflows_owner_live", "owner_id", "created_at", postgresql_where="deleted_at IS NULL"),
        Index("ix_workflows_name", "name"),
        Index("ix_workflows_tags", "tags", postgresql_using="gin"),
    )


class WorkflowVersion(Base):
    """Immutable: a trigger in the migration rejects UPDATE."""

    __tablename__ = "workflow_versions"
    id: Mapped[str] = id_column()
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    inputs_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    node_types: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    privileged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    # {"alice": "<user id>"}: the version's named approvers, resolved when it was saved.
    approver_ids: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (UniqueConstraint("workflow_id", "version"),)


class Execution(Base):
    __tablename__ = "executions"
    id: Mapped[str] = id_column()
    # Nullable: runs started outside the API (the CLI) are still recorded.
    workflow_id: Mapped[str | None] = mapped_column(ForeignKey("workflows.id"))
    version: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    template_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # The compiled plan is kept so the reconciler can start a pending row as it was accepted.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    temporal_workflow_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    temporal_run_id: Mapped[str | None] = mapped_column(String(64))
    nodes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # per-node summary
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_column()
    started_at: Mapped[datetime | None] = ts_column()
    finished_at: Mapped[datetime | None] = ts_column()
    duration_ms: Mapped[float | None] = mapped_column(Float)
    # Reruns and live debugging: the execution this one reruns, and how it was
    # launched ({"debug": DebugOptions, "reuse": {node: NodeSummary}, "rerun": {...}})
    # so the reconciler starts it exactly as accepted.
    source_execution_id: Mapped[str | None] = mapped_column(ForeignKey("executions.id"), index=True)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Approvals: who started it (may not approve it unless allowed) and the
    # approval gate in front of the whole run, so the reconciler starts it as accepted.
    started_by: Mapped[str | None] = mapped_column(String(64))
    gate: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # A scheduled run: the platform schedule's id, kept (no foreign key, never
    # cleared) after the schedule is deleted so its runs stay findable.
    schedule_id: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(
        Enum(*EXECUTION_TRIGGERS, name="trigger", native_enum=False, create_constraint=True, length=16),
        nullable=False)

    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key"),
        Index("ix_executions_schedule_created", "schedule_id", "created_at"),
        Index("ix_executions_owner_created", "owner_id", "created_at"),
        Index("ix_executions_workflow_created", "workflow_id", "created_at"),
        Index("ix_executions_status_created", "status", "created_at"),
        Index("ix_executions_trigger_created", "trigger", "created_at"),
    )


class Template(Base):
    """A marketplace template (templates/): the row says who owns it and what its
    latest version is; each version is an immutable TemplateVersion. Built-ins
    (owner None) carry the file they were loaded from as `builtin_key`."""

    __tablename__ = "templates"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))  # None: built-in
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(100), nullable=False, default="general", server_default="general")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False, default=list)
    # The latest version's spec (templates/model.py TemplateSpec), for reads without a join.
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    latest_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    semver: Mapped[str] = mapped_column(String(64), nullable=False, default="1.0.0", server_default="1.0.0")
    author: Mapped[str] = mapped_column(String(200), nullable=False, default="", server_default="")
    builtin_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    deleted_at: Mapped[datetime | None] = ts_column()

    __table_args__ = (Index("ix_templates_owner_live", "owner_id", "created_at",
                            postgresql_where="deleted_at IS NULL"),
                      Index("ix_templates_category", "category"),
                      Index("ix_templates_tags", "tags", postgresql_using="gin"))


class TemplateVersion(Base):
    """Immutable (a trigger in migration 0010 rejects UPDATE): deployed
    workflows name the version they came from."""

    __tablename__ = "template_versions"
    id: Mapped[str] = id_column()
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    semver: Mapped[str] = mapped_column(String(64), nullable=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # sha256 of the canonical spec: a built-in file that did not change is not a new version.
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (UniqueConstraint("template_id", "version"), UniqueConstraint("template_id", "semver"))


class DebugSession(Base):
    __tablename__ = "debug_sessions"
    id: Mapped[str] = id_column()
    execution_id: Mapped[str] = mapped_column(ForeignKey("executions.id"), nullable=False, index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    breakpoints: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()


class Approval(Base):
    """A mirror of the workflow's approval state for listing; Temporal is the truth.
    The id is "<execution id>:<node id>" (the interpreter's approval id)."""

    __tablename__ = "approvals"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    execution_id: Mapped[str] = mapped_column(ForeignKey("executions.id"), nullable=False)
    node_id: Mapped[str] = mapped_column(String(64), nullable=False)
    approvers: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="waiting")
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    decided_at: Mapped[datetime | None] = ts_column()
    quorum: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # the last ApprovalState seen
    temporal_workflow_id: Mapped[str | None] = mapped_column(String(200))
    temporal_run_id: Mapped[str | None] = mapped_column(String(64))
    timeout_at: Mapped[datetime | None] = ts_column()
    updated_at: Mapped[datetime] = created_column()

    __table_args__ = (UniqueConstraint("execution_id", "node_id"),
                      Index("ix_approvals_status_created", "status", "created_at"),
                      Index("ix_approvals_approvers", "approvers", postgresql_using="gin"))


class Schedule(Base):
    __tablename__ = "schedules"
    id: Mapped[str] = id_column()
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id"), nullable=False, index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    version: Mapped[int | None] = mapped_column(Integer)  # None: latest at each run
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)  # cron / interval
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    temporal_schedule_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    deleted_at: Mapped[datetime | None] = ts_column()
    # Policies (overlap, catch-up window, pause on failure), notes and why it is paused.
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    pause_reason: Mapped[str | None] = mapped_column(Text)


class ComplianceScan(Base):
    __tablename__ = "compliance_scans"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    execution_id: Mapped[str | None] = mapped_column(ForeignKey("executions.id"))
    workflow_id: Mapped[str | None] = mapped_column(ForeignKey("workflows.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    # Masked snippets and salted hashes only (compliance/findings.py): never a raw value.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    created_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None] = ts_column()
    # "workflow" (its version statically and its recent executions) or "payload" (POST /scan).
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="workflow", server_default="workflow")
    version: Mapped[int | None] = mapped_column(Integer)
    flows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list, server_default="[]")
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")

    __table_args__ = (Index("ix_compliance_scans_owner_created", "owner_id", "created_at"),
                      Index("ix_compliance_scans_workflow_created", "workflow_id", "created_at"))


class Secret(Base):
    """A user's secret (credentials/): the value only as ciphertext under its
    own data key, which is stored wrapped by the master key `kek_id` names."""

    __tablename__ = "secrets"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # "role:<name>" entries: the users holding one of these roles may use it.
    shared_with: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list, server_default="{}")
    # Host names (or "*.example.com") a node may send it to; empty: any host.
    allowed_hosts: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list,
                                                     server_default="{}")
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    wrap_nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    kek_id: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    value_updated_at: Mapped[datetime] = created_column()

    __table_args__ = (UniqueConstraint("owner_id", "name"),
                      Index("ix_secrets_shared_with", "shared_with", postgresql_using="gin"),
                      Index("ix_secrets_name", "name"))


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    actor_id: Mapped[str | None] = mapped_column(String(64))  # no FK: the log outlives users
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(200), nullable=False)
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # success / denied / error
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_actor_at", "actor_id", "at"))


class Webhook(Base):
    """An inbound trigger of a workflow (api/routes/hooks.py): anyone holding
    its URL's token may start a run as the owner. Only the token's SHA-256 is
    kept (the token is shown once); the optional signing secret is sealed like
    a secret's value (credentials/crypto.py), bound to this row's id."""

    __tablename__ = "webhooks"
    id: Mapped[str] = id_column()
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id"), nullable=False, index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="", server_default="")
    version: Mapped[int | None] = mapped_column(Integer)  # None: the latest at each delivery
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # "none", "github" (X-Hub-Signature-256) or "stripe" (Stripe-Signature).
    signature: Mapped[str] = mapped_column(String(16), nullable=False, default="none", server_default="none")
    tolerance_s: Mapped[int] = mapped_column(Integer, nullable=False, default=300, server_default="300")
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_wrap_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_kek_id: Mapped[str | None] = mapped_column(String(32))
    # How a delivery becomes run inputs: the JSON body is the inputs (or goes
    # under `body_input`), plus {header name: input name}.
    body_input: Mapped[str | None] = mapped_column(String(64))
    header_inputs: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, nullable=False, default=60, server_default="60")
    created_at: Mapped[datetime] = created_column()
    rotated_at: Mapped[datetime | None] = ts_column()
    last_delivery_at: Mapped[datetime | None] = ts_column()
    revoked_at: Mapped[datetime | None] = ts_column()  # deleted: its token answers 404 for good


class CompliancePolicy(Base):
    """A user's own policy (compliance/policies.py PolicySpec as `rules`); the
    built-in packs are data files, not rows. `replaces`: the built-in pack
    (`builtin:gdpr`) this policy stands in for, for its owner."""

    __tablename__ = "compliance_policies"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    replaces: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="true")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()


class ComplianceViolation(Base):
    """A policy rule broken by a workflow, found by a scan; the same problem
    found again (its fingerprint) is the same row. Evidence names entities,
    hosts and nodes, never a value. Status changes are kept in `history`
    (and in the audit log, as every mutating call is)."""

    __tablename__ = "compliance_violations"
    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    workflow_id: Mapped[str | None] = mapped_column(ForeignKey("workflows.id"))
    scan_id: Mapped[str | None] = mapped_column(ForeignKey("compliance_scans.id"))
    policy_id: Mapped[str] = mapped_column(String(64), nullable=False)  # no FK: built-in packs are not rows
    policy_name: Mapped[str] = mapped_column(String(200), nullable=False)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    node: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    remediation: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", server_default="open")
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list, server_default="[]")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    last_seen_at: Mapped[datetime] = created_column()

    __table_args__ = (UniqueConstraint("owner_id", "fingerprint"),
                      Index("ix_compliance_violations_owner_status", "owner_id", "status", "created_at"),
                      Index("ix_compliance_violations_workflow", "workflow_id"))
