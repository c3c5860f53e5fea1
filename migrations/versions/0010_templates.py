"""templates: categories, versions (immutable), built-in keys, and the
template a workflow was deployed from.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('templates', sa.Column('category', sa.String(length=100), server_default='general',
                                         nullable=False))
    op.add_column('templates', sa.Column('latest_version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('templates', sa.Column('semver', sa.String(length=64), server_default='1.0.0', nullable=False))
    op.add_column('templates', sa.Column('author', sa.String(length=200), server_default='', nullable=False))
    op.add_column('templates', sa.Column('builtin_key', sa.String(length=200), nullable=True))
    op.create_unique_constraint(op.f('uq_templates_builtin_key'), 'templates', ['builtin_key'])
    op.create_index('ix_templates_category', 'templates', ['category'], unique=False)
    op.create_index('ix_templates_tags', 'templates', ['tags'], unique=False, postgresql_using='gin')
    op.create_table('template_versions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('semver', sa.String(length=64), nullable=False),
    sa.Column('spec', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_template_versions_template_id_templates')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_template_versions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions')),
    sa.UniqueConstraint('template_id', 'version', name=op.f('uq_template_versions_template_id_version')),
    sa.UniqueConstraint('template_id', 'semver', name=op.f('uq_template_versions_template_id_semver')),
    )
    op.add_column('workflows', sa.Column('template_id', sa.String(length=64), nullable=True))
    op.add_column('workflows', sa.Column('template_version', sa.Integer(), nullable=True))
    # Deployed workflows name the version they came from: an UPDATE is always a bug.
    op.execute("""
        CREATE FUNCTION template_versions_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'template_versions rows are immutable';
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER template_versions_no_update BEFORE UPDATE ON template_versions
        FOR EACH ROW EXECUTE FUNCTION template_versions_immutable()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS template_versions_no_update ON template_versions")
    op.execute("DROP FUNCTION IF EXISTS template_versions_immutable()")
    op.drop_column('workflows', 'template_version')
    op.drop_column('workflows', 'template_id')
    op.drop_table('template_versions')
    op.drop_index('ix_templates_tags', table_name='templates', postgresql_using='gin')
    op.drop_index('ix_templates_category', table_name='templates')
    op.drop_constraint(op.f('uq_templates_builtin_key'), 'templates', type_='unique')
    for column in ('builtin_key', 'author', 'semver', 'latest_version', 'category'):
        op.drop_column('templates', column)
