"""site pages and retention

The privacy notice and the accessibility statement as administrators edit them, and how many
days personal data that is no longer needed is kept. Without rows the defaults apply.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_page")),
        sa.UniqueConstraint("key", name=op.f("uq_site_page_key")),
    )
    op.create_table(
        "retention_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unconfirmed_account_days", sa.Integer(), nullable=False),
        sa.Column("outbox_email_days", sa.Integer(), nullable=False),
        sa.Column("read_notification_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_setting")),
    )


def downgrade() -> None:
    op.drop_table("retention_setting")
    op.drop_table("site_page")
