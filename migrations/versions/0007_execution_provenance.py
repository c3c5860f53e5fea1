"""execution provenance: executions.trigger (what started the run), backfilled
from what existing rows already say, and an index to list runs by it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TRIGGERS = ("api", "schedule", "rerun", "approval_gate", "template", "agent", "webhook", "cli")


def upgrade() -> None:
    op.add_column('executions', sa.Column('trigger', sa.String(length=16), nullable=True))
    # What a row already tells: a schedule's run, a rerun, a gated request, a
    # template's run; no platform workflow: started outside the API (the CLI).
    op.execute("""
        UPDATE executions SET trigger = CASE
            WHEN schedule_id IS NOT NULL THEN 'schedule'
            WHEN source_execution_id IS NOT NULL THEN 'rerun'
            WHEN gate IS NOT NULL THEN 'approval_gate'
            WHEN template_id IS NOT NULL THEN 'template'
            WHEN workflow_id IS NULL THEN 'cli'
            ELSE 'api' END
    """)
    op.alter_column('executions', 'trigger', nullable=False)
    values = ", ".join(f"'{t}'" for t in TRIGGERS)
    op.create_check_constraint(op.f('ck_executions_trigger'), 'executions', f"trigger IN ({values})")
    op.create_index('ix_executions_trigger_created', 'executions', ['trigger', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_executions_trigger_created', table_name='executions')
    op.drop_constraint(op.f('ck_executions_trigger'), 'executions', type_='check')
    op.drop_column('executions', 'trigger')
