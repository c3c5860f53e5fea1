"""credentials: the secrets table of the credentials store (values encrypted
under per-secret data keys, wrapped by the master key; shares with roles;
host bindings).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('secrets',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('shared_with', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('allowed_hosts', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('wrap_nonce', sa.LargeBinary(), nullable=False),
    sa.Column('kek_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('value_updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_secrets_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_secrets')),
    sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_secrets_owner_id_name'))
    )
    op.create_index('ix_secrets_shared_with', 'secrets', ['shared_with'], unique=False, postgresql_using='gin')
    op.create_index('ix_secrets_name', 'secrets', ['name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_secrets_name', table_name='secrets')
    op.drop_index('ix_secrets_shared_with', table_name='secrets')
    op.drop_table('secrets')
