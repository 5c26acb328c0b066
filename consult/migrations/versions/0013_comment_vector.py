"""comment vector

Each comment's sentence embedding (the theme engine's optional semantic view, nlp.semantic),
computed in the background after the comment is written and stored compactly, so that an
analysis never embeds a comment again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_vector",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("dims", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_vector_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comment_vector")),
    )


def downgrade() -> None:
    op.drop_table("comment_vector")
