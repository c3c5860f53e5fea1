"""auth hardening: usernames unique regardless of case, token versions for
revocation, failed-login counters for throttling, and the approvers of a
version resolved to user ids when it was saved.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1")).scalars().all()
    if clashes:
        raise RuntimeError("usernames that differ only in case must be renamed before this migration: "
                           + ", ".join(sorted(clashes)))
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)
    op.add_column('users', sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    # {"alice": "<user id>", ...}: who the version's `user:` approvers were when it was saved.
    op.add_column('workflow_versions', sa.Column('approver_ids', postgresql.JSONB(astext_type=sa.Text()),
                                                 server_default='{}', nullable=False))


def downgrade() -> None:
    op.drop_column('workflow_versions', 'approver_ids')
    op.drop_column('users', 'locked_until')
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'token_version')
    op.drop_index('uq_users_username_lower', table_name='users')
