"""revision was published

Whether an earlier text of an edited comment was ever public. Only those are shown to the
public as earlier versions; a text a moderator never approved (a pre-moderated round) is shown
to staff and its author only. Revisions written before this revision count as not public:
they were never shown to anyone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment_revision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("was_published", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_revision", schema=None) as batch_op:
        batch_op.drop_column("was_published")
