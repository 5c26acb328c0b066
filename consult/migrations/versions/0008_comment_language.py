"""comment language

The language the engine read in each analysed comment, for the drill-down's language filter.
Comments analysed before this revision read as "und" (undetermined) until the next run.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysed_comment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="und", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("analysed_comment", schema=None) as batch_op:
        batch_op.drop_column("language")
