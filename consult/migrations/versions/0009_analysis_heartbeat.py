"""analysis heartbeat

A running analysis job writes ``heartbeat_at`` every few seconds (a thread beside the engine),
so a job whose worker was killed is recognised within a minute or two instead of an hour.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
