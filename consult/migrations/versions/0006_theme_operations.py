"""theme operations

Staff's operations on themes: a retired theme says why (re-run, merged, split, deleted), who
retired it, where it was merged to and what it was split from; proposals of the tagger for a
theme made by hand; and, per analysis, the tagger trained on staff's tags and where each theme
the engine found went.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:51:06.619471
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "theme_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_theme_proposal_comment_id_comment")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_theme_proposal_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_theme_proposal_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_proposal")),
    )
    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theme_proposal_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            "ix_theme_proposal_theme_decided", ["theme_id", "decided_at"], unique=False
        )

    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tagger_file", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("theme_map", sa.Text(), nullable=True))

    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("retired_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_theme_merged_into_id_theme"), "theme", ["merged_into_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_theme_retired_by_id_user_account"),
            "user_account",
            ["retired_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_theme_split_from_id_theme"), "theme", ["split_from_id"], ["id"]
        )
    # Themes retired before this revision were all replaced by a later run.
    op.execute("UPDATE theme SET retired_reason = 'rerun' WHERE retired_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_theme_split_from_id_theme"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_theme_retired_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_theme_merged_into_id_theme"), type_="foreignkey")
        batch_op.drop_column("split_from_id")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("retired_by_id")
        batch_op.drop_column("retired_reason")

    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_column("theme_map")
        batch_op.drop_column("tagger_file")

    with op.batch_alter_table("theme_proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_proposal_theme_decided")
        batch_op.drop_index(batch_op.f("ix_theme_proposal_comment_id"))

    op.drop_table("theme_proposal")
