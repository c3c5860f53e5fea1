"""approvals and schedules: the approvals mirror (ids of "<execution>:<node>",
state, instructions, Temporal ids), executions started behind a gate or by a
schedule, and schedule policies, notes and pause reasons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('executions', sa.Column('started_by', sa.String(length=64), nullable=True))
    op.add_column('executions', sa.Column('gate', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('executions', sa.Column('schedule_id', sa.String(length=64), nullable=True))
    op.create_index('ix_executions_schedule_created', 'executions', ['schedule_id', 'created_at'], unique=False)

    op.alter_column('approvals', 'id', type_=sa.String(length=200), existing_nullable=False)
    op.add_column('approvals', sa.Column('quorum', sa.Integer(), server_default='1', nullable=False))
    op.add_column('approvals', sa.Column('instructions', sa.Text(), server_default='', nullable=False))
    op.add_column('approvals', sa.Column('state', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('approvals', sa.Column('temporal_workflow_id', sa.String(length=200), nullable=True))
    op.add_column('approvals', sa.Column('temporal_run_id', sa.String(length=64), nullable=True))
    op.add_column('approvals', sa.Column('timeout_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('approvals', sa.Column('updated_at', sa.DateTime(timezone=True),
                                         server_default=sa.text('now()'), nullable=False))
    op.create_index('ix_approvals_approvers', 'approvals', ['approvers'], unique=False, postgresql_using='gin')

    op.add_column('schedules', sa.Column('policy', postgresql.JSONB(astext_type=sa.Text()),
                                         server_default='{}', nullable=False))
    op.add_column('schedules', sa.Column('notes', sa.Text(), server_default='', nullable=False))
    op.add_column('schedules', sa.Column('pause_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('schedules', 'pause_reason')
    op.drop_column('schedules', 'notes')
    op.drop_column('schedules', 'policy')
    op.drop_index('ix_approvals_approvers', table_name='approvals', postgresql_using='gin')
    for column in ('updated_at', 'timeout_at', 'temporal_run_id', 'temporal_workflow_id', 'state',
                   'instructions', 'quorum'):
        op.drop_column('approvals', column)
    op.alter_column('approvals', 'id', type_=sa.String(length=64), existing_nullable=False)
    op.drop_index('ix_executions_schedule_created', table_name='executions')
    op.drop_column('executions', 'schedule_id')
    op.drop_column('executions', 'gate')
    op.drop_column('executions', 'started_by')
