"""comment search: PostgreSQL's Swedish text-search index, or an FTS5 table on SQLite

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""

from alembic import op

from consult.search import schema

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.create(op.get_bind())


def downgrade() -> None:
    schema.drop(op.get_bind())
