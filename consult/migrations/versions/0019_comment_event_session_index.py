"""comment event session index

A comment's event session is looked up by (the points of a session, and whether a session
may be removed), so it has an index as the comment's event has.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:30:00
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment") as batch:
        batch.create_index(
            batch.f("ix_comment_event_session_id"), ["event_session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comment") as batch:
        batch.drop_index(batch.f("ix_comment_event_session_id"))
