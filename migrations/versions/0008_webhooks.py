"""webhooks: inbound triggers of workflows (token hash, sealed signing secret,
input mapping, rate limit).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 22:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhooks',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=16), server_default='none', nullable=False),
    sa.Column('tolerance_s', sa.Integer(), server_default='300', nullable=False),
    sa.Column('secret_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('secret_nonce', sa.LargeBinary(), nullable=True),
    sa.Column('secret_wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('secret_wrap_nonce', sa.LargeBinary(), nullable=True),
    sa.Column('secret_kek_id', sa.String(length=32), nullable=True),
    sa.Column('body_input', sa.String(length=64), nullable=True),
    sa.Column('header_inputs', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), server_default='60', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_delivery_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhooks_owner_id_users')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_webhooks_workflow_id_workflows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_webhooks_token_hash'))
    )
    op.create_index(op.f('ix_webhooks_owner_id'), 'webhooks', ['owner_id'], unique=False)
    op.create_index(op.f('ix_webhooks_workflow_id'), 'webhooks', ['workflow_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhooks_workflow_id'), table_name='webhooks')
    op.drop_index(op.f('ix_webhooks_owner_id'), table_name='webhooks')
    op.drop_table('webhooks')
