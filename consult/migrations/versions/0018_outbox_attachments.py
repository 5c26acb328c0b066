"""outbox attachments

An outbox e-mail may carry one attachment (an event's .ics with a registration's
confirmation): its file name, media type and content.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_email") as batch:
        batch.add_column(sa.Column("attachment_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("attachment_type", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("attachment_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_email") as batch:
        batch.drop_column("attachment_data")
        batch.drop_column("attachment_type")
        batch.drop_column("attachment_name")
