"""compliance scans, policies and violations: what was scanned (a workflow's version and executions, or
an ad-hoc payload), the data flows found and a summary beside the findings.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 23:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('compliance_scans', sa.Column('kind', sa.String(length=16), server_default='workflow',
                                                nullable=False))
    op.add_column('compliance_scans', sa.Column('version', sa.Integer(), nullable=True))
    op.add_column('compliance_scans', sa.Column('flows', postgresql.JSONB(astext_type=sa.Text()),
                                                server_default='[]', nullable=False))
    op.add_column('compliance_scans', sa.Column('summary', postgresql.JSONB(astext_type=sa.Text()),
                                                server_default='{}', nullable=False))
    op.create_index('ix_compliance_scans_workflow_created', 'compliance_scans', ['workflow_id', 'created_at'],
                    unique=False)
    op.create_table('compliance_policies',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('replaces', sa.String(length=64), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_compliance_policies_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_policies'))
    )
    op.create_index(op.f('ix_compliance_policies_owner_id'), 'compliance_policies', ['owner_id'], unique=False)
    op.create_table('compliance_violations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=True),
    sa.Column('scan_id', sa.String(length=64), nullable=True),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('policy_name', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=True),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('remediation', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('history', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_compliance_violations_owner_id_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_compliance_violations_workflow_id_workflows')),
    sa.ForeignKeyConstraint(['scan_id'], ['compliance_scans.id'], name=op.f('fk_compliance_violations_scan_id_compliance_scans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_violations')),
    sa.UniqueConstraint('owner_id', 'fingerprint', name=op.f('uq_compliance_violations_owner_id_fingerprint'))
    )
    op.create_index('ix_compliance_violations_owner_status', 'compliance_violations',
                    ['owner_id', 'status', 'created_at'], unique=False)
    op.create_index('ix_compliance_violations_workflow', 'compliance_violations', ['workflow_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_compliance_violations_workflow', table_name='compliance_violations')
    op.drop_index('ix_compliance_violations_owner_status', table_name='compliance_violations')
    op.drop_table('compliance_violations')
    op.drop_index(op.f('ix_compliance_policies_owner_id'), table_name='compliance_policies')
    op.drop_table('compliance_policies')
    op.drop_index('ix_compliance_scans_workflow_created', table_name='compliance_scans')
    op.drop_column('compliance_scans', 'summary')
    op.drop_column('compliance_scans', 'flows')
    op.drop_column('compliance_scans', 'version')
    op.drop_column('compliance_scans', 'kind')
