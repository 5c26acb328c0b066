"""synthesis

Staff's summary of and the region's response to the comments on each theme and each
paragraph, with a work status, who saved it last and a version for optimistic locking.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:02:28.495735
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "synthesis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("paragraph_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "response",
            sa.Enum(
                "accepted",
                "partly_accepted",
                "not_accepted",
                "noted",
                name="synthesis_response",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("motivation", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "drafted",
                "reviewed",
                name="work_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paragraph_id"], ["paragraph.id"], name=op.f("fk_synthesis_paragraph_id_paragraph")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_synthesis_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_synthesis_theme_id_theme")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_synthesis_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synthesis")),
        sa.UniqueConstraint("paragraph_id", name=op.f("uq_synthesis_paragraph_id")),
        sa.UniqueConstraint("theme_id", name=op.f("uq_synthesis_theme_id")),
    )
    with op.batch_alter_table("synthesis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_synthesis_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    # Dropping the table drops its enum check constraints with it.
    with op.batch_alter_table("synthesis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synthesis_round_id"))

    op.drop_table("synthesis")
