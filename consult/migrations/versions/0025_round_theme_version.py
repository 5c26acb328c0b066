"""round theme version

A second version per round, raised by every write that changes what the theme board counts
per theme (tags, themes, analyses, and any change to an existing comment), but not by a new
comment: a new comment has no theme yet. The board's per-theme figures and cards are kept
under it, so in a deadline rush, when every post raises the data version, the board is not
counted and rendered again for each post (consult.caching).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 02:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("round") as batch_op:
        batch_op.add_column(
            sa.Column("theme_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("round") as batch_op:
        batch_op.drop_column("theme_version")
