"""administration and audit log

Contact person of a consultation, who may comment in a round, and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:26:37.712690
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_audit_entry_actor_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_action"), "audit_entry", ["action"], unique=False)
    op.create_index(op.f("ix_audit_entry_actor_id"), "audit_entry", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_entry_created_at"), "audit_entry", ["created_at"], unique=False)
    op.create_index(
        "ix_audit_entry_object", "audit_entry", ["object_type", "object_id"], unique=False
    )

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact_email", sa.String(length=254), server_default="", nullable=False)
        )

    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "commenters",
                sa.Enum(
                    "registered",
                    "verified",
                    name="commenters",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="registered",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_round_commenters"), type_="check")
        batch_op.drop_column("commenters")

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_name")

    op.drop_index("ix_audit_entry_object", table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_created_at"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_actor_id"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_action"), table_name="audit_entry")
    op.drop_table("audit_entry")
