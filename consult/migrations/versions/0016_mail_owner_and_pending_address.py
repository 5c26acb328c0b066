"""mail owner and pending address

Each outbox e-mail records the account it was for (not only the address, which may pass to
another account), and an account records the address of its latest change request, so that
only that request's link works. Mail from notifications gets its owner from the notification.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_email") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_email_user_id_user_account"), "user_account", ["user_id"], ["id"]
        )
        batch.create_index(op.f("ix_outbox_email_user_id"), ["user_id"], unique=False)
    op.execute(
        "UPDATE outbox_email SET user_id = (SELECT notification.user_id FROM notification "
        "WHERE notification.id = outbox_email.notification_id) "
        "WHERE notification_id IS NOT NULL"
    )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("pending_email")
    with op.batch_alter_table("outbox_email") as batch:
        batch.drop_index(op.f("ix_outbox_email_user_id"))
        batch.drop_constraint(op.f("fk_outbox_email_user_id_user_account"), type_="foreignkey")
        batch.drop_column("user_id")
