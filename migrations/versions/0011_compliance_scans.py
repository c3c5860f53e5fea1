"""compliance scans: what was scanned (a workflow's version and executions, or
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
down_revision = '0009'
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


def downgrade() -> None:
    op.drop_index('ix_compliance_scans_workflow_created', table_name='compliance_scans')
    op.drop_column('compliance_scans', 'summary')
    op.drop_column('compliance_scans', 'flows')
    op.drop_column('compliance_scans', 'version')
    op.drop_column('compliance_scans', 'kind')
