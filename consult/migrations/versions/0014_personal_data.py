"""personal data: confirmed e-mail, session epoch, how a name is shown, erasure

Accounts made before this revision count as confirmed from the day they were made: they were
created when no confirmation was asked for.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 03:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("municipality", sa.String(length=100)))
        batch_op.add_column(
            sa.Column(
                "name_shown",
                sa.Enum(
                    "full",
                    "initial",
                    "hidden",
                    name="name_shown",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="full",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE user_account SET email_confirmed_at = created_at")

    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "confirmed_email_only", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("confirmed_email_only")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_name_shown"), type_="check")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("name_shown")
        batch_op.drop_column("municipality")
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("email_confirmed_at")
