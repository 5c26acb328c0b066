"""theme terms

The word forms that tie a comment to an engine theme (the theme's distinctive words as its
comments write them), marked in each comment of the theme's drill-down. Themes saved before
this revision have none until the next analysis.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terms", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_column("terms")
