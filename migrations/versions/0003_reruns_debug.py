"""reruns and live debugging: executions.source_execution_id (the execution a
rerun reuses) and executions.options (debug breakpoints, reused node results,
the rerun's choices), so the reconciler starts a row exactly as accepted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('executions', sa.Column('source_execution_id', sa.String(length=64), nullable=True))
    op.add_column('executions', sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_foreign_key('fk_executions_source_execution_id_executions', 'executions', 'executions',
                          ['source_execution_id'], ['id'])
    op.create_index('ix_executions_source_execution_id', 'executions', ['source_execution_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_executions_source_execution_id', table_name='executions')
    op.drop_constraint('fk_executions_source_execution_id_executions', 'executions', type_='foreignkey')
    op.drop_column('executions', 'options')
    op.drop_column('executions', 'source_execution_id')
