"""initial schema: every table of the platform, with the listing indexes and
the trigger that keeps workflow_versions immutable.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 17:10:06.166271
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=200), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=True),
    sa.Column('resource_id', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor_id', 'at'], unique=False)
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('templates',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('definition', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_templates_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates'))
    )
    op.create_index('ix_templates_owner_live', 'templates', ['owner_id', 'created_at'], unique=False, postgresql_where='deleted_at IS NULL')
    op.create_table('workflows',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_workflows_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflows'))
    )
    op.create_index('ix_workflows_name', 'workflows', ['name'], unique=False)
    op.create_index('ix_workflows_owner_live', 'workflows', ['owner_id', 'created_at'], unique=False, postgresql_where='deleted_at IS NULL')
    op.create_index('ix_workflows_tags', 'workflows', ['tags'], unique=False, postgresql_using='gin')
    op.create_table('executions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.String(length=64), nullable=True),
    sa.Column('template_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('inputs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('temporal_workflow_id', sa.String(length=200), nullable=False),
    sa.Column('temporal_run_id', sa.String(length=64), nullable=True),
    sa.Column('nodes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('error', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_executions_owner_id_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_executions_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_executions')),
    sa.UniqueConstraint('owner_id', 'idempotency_key', name=op.f('uq_executions_owner_id_idempotency_key')),
    sa.UniqueConstraint('temporal_workflow_id', name=op.f('uq_executions_temporal_workflow_id'))
    )
    op.create_index('ix_executions_owner_created', 'executions', ['owner_id', 'created_at'], unique=False)
    op.create_index('ix_executions_status_created', 'executions', ['status', 'created_at'], unique=False)
    op.create_index('ix_executions_workflow_created', 'executions', ['workflow_id', 'created_at'], unique=False)
    op.create_table('schedules',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('spec', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('inputs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('temporal_schedule_id', sa.String(length=200), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_schedules_owner_id_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_schedules_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
    sa.UniqueConstraint('temporal_schedule_id', name=op.f('uq_schedules_temporal_schedule_id'))
    )
    op.create_index(op.f('ix_schedules_owner_id'), 'schedules', ['owner_id'], unique=False)
    op.create_index(op.f('ix_schedules_workflow_id'), 'schedules', ['workflow_id'], unique=False)
    op.create_table('workflow_versions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('inputs_schema', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('node_types', postgresql.ARRAY(sa.String(length=100)), nullable=False),
    sa.Column('privileged', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_workflow_versions_created_by_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_versions_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_versions')),
    sa.UniqueConstraint('workflow_id', 'version', name=op.f('uq_workflow_versions_workflow_id_version'))
    )
    op.create_table('approvals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('execution_id', sa.String(length=64), nullable=False),
    sa.Column('node_id', sa.String(length=64), nullable=False),
    sa.Column('approvers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_approvals_decided_by_users')),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], name=op.f('fk_approvals_execution_id_executions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
    sa.UniqueConstraint('execution_id', 'node_id', name=op.f('uq_approvals_execution_id_node_id'))
    )
    op.create_index('ix_approvals_status_created', 'approvals', ['status', 'created_at'], unique=False)
    op.create_table('compliance_scans',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('execution_id', sa.String(length=64), nullable=True),
    sa.Column('workflow_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('findings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], name=op.f('fk_compliance_scans_execution_id_executions')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_compliance_scans_owner_id_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_compliance_scans_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_scans'))
    )
    op.create_index('ix_compliance_scans_owner_created', 'compliance_scans', ['owner_id', 'created_at'], unique=False)
    op.create_table('debug_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('execution_id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('breakpoints', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('state', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], name=op.f('fk_debug_sessions_execution_id_executions')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_debug_sessions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debug_sessions'))
    )
    op.create_index(op.f('ix_debug_sessions_execution_id'), 'debug_sessions', ['execution_id'], unique=False)
    op.create_index(op.f('ix_debug_sessions_owner_id'), 'debug_sessions', ['owner_id'], unique=False)

    # Versions are immutable: executions pin them, so an UPDATE is always a bug.
    op.execute("""
        CREATE FUNCTION workflow_versions_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'workflow_versions rows are immutable';
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER workflow_versions_no_update BEFORE UPDATE ON workflow_versions
        FOR EACH ROW EXECUTE FUNCTION workflow_versions_immutable()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS workflow_versions_no_update ON workflow_versions")
    op.execute("DROP FUNCTION IF EXISTS workflow_versions_immutable()")
    op.drop_index(op.f('ix_debug_sessions_owner_id'), table_name='debug_sessions')
    op.drop_index(op.f('ix_debug_sessions_execution_id'), table_name='debug_sessions')
    op.drop_table('debug_sessions')
    op.drop_index('ix_compliance_scans_owner_created', table_name='compliance_scans')
    op.drop_table('compliance_scans')
    op.drop_index('ix_approvals_status_created', table_name='approvals')
    op.drop_table('approvals')
    op.drop_table('workflow_versions')
    op.drop_index(op.f('ix_schedules_workflow_id'), table_name='schedules')
    op.drop_index(op.f('ix_schedules_owner_id'), table_name='schedules')
    op.drop_table('schedules')
    op.drop_index('ix_executions_workflow_created', table_name='executions')
    op.drop_index('ix_executions_status_created', table_name='executions')
    op.drop_index('ix_executions_owner_created', table_name='executions')
    op.drop_table('executions')
    op.drop_index('ix_workflows_tags', table_name='workflows', postgresql_using='gin')
    op.drop_index('ix_workflows_owner_live', table_name='workflows', postgresql_where='deleted_at IS NULL')
    op.drop_index('ix_workflows_name', table_name='workflows')
    op.drop_table('workflows')
    op.drop_index('ix_templates_owner_live', table_name='templates', postgresql_where='deleted_at IS NULL')
    op.drop_table('templates')
    op.drop_table('users')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    op.drop_table('audit_log')
