"""theme analysis

Analysis runs of the theme engine with their progress and saved model, themes with a
version for optimistic locking, theme tags with their history, campaign groups and what each
run read in each comment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 20:03:55.398905
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="analysis_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=60), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("comment_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_file", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_analysis_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["user_account.id"],
            name=op.f("fk_analysis_started_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
    )
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analysis_round_id"), ["round_id"], unique=False)
        batch_op.create_index(
            "uq_analysis_active_round",
            ["round_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )

    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("model_index", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("keywords", sa.Text(), server_default="[]", nullable=False),
        sa.Column("representative_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "model",
                "staff",
                name="origin",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analysis.id"], name=op.f("fk_theme_analysis_id_analysis")
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_theme_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
    )
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_theme_analysis_id"), ["analysis_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_theme_round_id"), ["round_id"], unique=False)

    op.create_table(
        "campaign_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analysis.id"], name=op.f("fk_campaign_group_analysis_id_analysis")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_campaign_group_comment_id_comment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_group")),
    )
    with op.batch_alter_table("campaign_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_group_analysis_id"), ["analysis_id"], unique=False
        )

    op.create_table(
        "theme_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "model",
                "staff",
                name="origin",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("after_analysis", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_theme_assignment_assigned_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_theme_assignment_comment_id_comment")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_theme_assignment_confirmed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["user_account.id"],
            name=op.f("fk_theme_assignment_removed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_theme_assignment_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_assignment")),
    )
    with op.batch_alter_table("theme_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theme_assignment_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            "ix_theme_assignment_theme_removed", ["theme_id", "removed_at"], unique=False
        )

    op.create_table(
        "analysed_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analysis.id"], name=op.f("fk_analysed_comment_analysis_id_analysis")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign_group.id"],
            name=op.f("fk_analysed_comment_campaign_id_campaign_group"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name=op.f("fk_analysed_comment_comment_id_comment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysed_comment")),
        sa.UniqueConstraint(
            "analysis_id", "comment_id", name=op.f("uq_analysed_comment_analysis_id")
        ),
    )
    with op.batch_alter_table("analysed_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analysed_comment_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_analysed_comment_comment_id"), ["comment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("analysed_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysed_comment_comment_id"))
        batch_op.drop_index(batch_op.f("ix_analysed_comment_campaign_id"))

    op.drop_table("analysed_comment")
    with op.batch_alter_table("theme_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_assignment_theme_removed")
        batch_op.drop_index(batch_op.f("ix_theme_assignment_comment_id"))

    op.drop_table("theme_assignment")
    with op.batch_alter_table("campaign_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_group_analysis_id"))

    op.drop_table("campaign_group")
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_round_id"))
        batch_op.drop_index(batch_op.f("ix_theme_analysis_id"))

    op.drop_table("theme")
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_index("uq_analysis_active_round")
        batch_op.drop_index(batch_op.f("ix_analysis_round_id"))

    op.drop_table("analysis")
