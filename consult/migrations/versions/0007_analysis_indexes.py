"""analysis indexes

Indexes that let the theme board and the drill-down of a 40,000-comment round answer fast
on SQLite and PostgreSQL: covering indexes on the tags (by theme and by comment, each with
the other id); a covering index on the round's comments by state, with the figures the
pages count, filter and sort by (category, stance, kind, place, organisation, time); and
a partial index on the few tags staff confirmed, made or removed (read by the agreement
figure).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STAFF_TOUCHED = "confirmed_at IS NOT NULL OR source = 'staff' OR removed_by_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_round_status")
        batch_op.create_index(
            "ix_comment_round_figures",
            [
                "round_id",
                "status",
                "parent_id",
                "author_category",
                "stance",
                "kind",
                "paragraph_id",
                "section_id",
                "author_organisation_id",
                "created_at",
            ],
            unique=False,
        )

    with op.batch_alter_table("theme_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_assignment_theme_removed")
        batch_op.drop_index("ix_theme_assignment_comment_id")
        batch_op.create_index(
            "ix_theme_assignment_theme_removed_comment",
            ["theme_id", "removed_at", "comment_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_theme_assignment_comment_removed_theme",
            ["comment_id", "removed_at", "theme_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_theme_assignment_staff",
            ["theme_id", "comment_id"],
            unique=False,
            sqlite_where=sa.text(STAFF_TOUCHED),
            postgresql_where=sa.text(STAFF_TOUCHED),
        )


def downgrade() -> None:
    with op.batch_alter_table("theme_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_assignment_staff")
        batch_op.drop_index("ix_theme_assignment_comment_removed_theme")
        batch_op.drop_index("ix_theme_assignment_theme_removed_comment")
        batch_op.create_index("ix_theme_assignment_comment_id", ["comment_id"], unique=False)
        batch_op.create_index(
            "ix_theme_assignment_theme_removed", ["theme_id", "removed_at"], unique=False
        )

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_round_figures")
        batch_op.create_index("ix_comment_round_status", ["round_id", "status"], unique=False)
