"""working groups and events

The process around a consultation: working groups with their members and the chapters they
answer for (both kept as dated history), dialogue events with programme, parallel sessions
and registrations (with a waiting list), and a comment's origin at an event. Retention gains
a period for the dietary and accessibility needs given when registering.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:15:02.919618
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "on_site",
                "online",
                "hybrid",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("venue_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("venue_address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("stream_url", sa.String(length=500), server_default="", nullable=False),
        sa.Column("contact_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("contact_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("registration_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("summary_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity > 0", name=op.f("ck_event_capacity_positive")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_event_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_event_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_event_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["summary_updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_event_summary_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("consultation_id", "slug", name=op.f("uq_event_consultation_id")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "working_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_working_group_consultation_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_group")),
        sa.UniqueConstraint(
            "consultation_id", "slug", name=op.f("uq_working_group_consultation_id")
        ),
    )
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_working_group_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "event_group",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_group_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["working_group.id"], name=op.f("fk_event_group_group_id_working_group")
        ),
        sa.PrimaryKeyConstraint("event_id", "group_id", name=op.f("pk_event_group")),
    )
    op.create_table(
        "group_chapter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("section_anchor", sa.String(length=40), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_group_chapter_assigned_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_group_chapter_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_group_chapter_ended_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["working_group.id"], name=op.f("fk_group_chapter_group_id_working_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_chapter")),
    )
    with op.batch_alter_table("group_chapter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_chapter_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "uq_group_chapter_current",
            ["consultation_id", "section_anchor"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "group_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "chair",
                "secretary",
                "member",
                name="group_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "naringsliv",
                "civilsamhalle",
                "kommun",
                "region",
                "akademi",
                "statlig_myndighet",
                "privatperson",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("organisation_name", sa.String(length=200), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_group_membership_added_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["working_group.id"],
            name=op.f("fk_group_membership_group_id_working_group"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_group_membership_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_membership")),
    )
    with op.batch_alter_table("group_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_membership_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_group_membership_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_group_membership_current",
            ["group_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )

    op.create_table(
        "programme_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_programme_item_event_id_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_item")),
    )
    with op.batch_alter_table("programme_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_item_event_id"), ["event_id"], unique=False)

    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed",
                "waiting",
                "cancelled",
                name="registration_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "naringsliv",
                "civilsamhalle",
                "kommun",
                "region",
                "akademi",
                "statlig_myndighet",
                "privatperson",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("organisation_name", sa.String(length=200), nullable=True),
        sa.Column("dietary_needs", sa.Text(), nullable=True),
        sa.Column("accessibility_needs", sa.Text(), nullable=True),
        sa.Column("needs_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_registration_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_registration_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_event_status", ["event_id", "status", "queued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registration_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_registration_active",
            ["event_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )

    op.create_table(
        "event_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("programme_item_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("room", sa.String(length=200), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("notes_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes_updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_session_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["working_group.id"], name=op.f("fk_event_session_group_id_working_group")
        ),
        sa.ForeignKeyConstraint(
            ["notes_updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_event_session_notes_updated_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_item_id"],
            ["programme_item.id"],
            name=op.f("fk_event_session_programme_item_id_programme_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_session")),
    )
    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_session_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_session_group_id"), ["group_id"], unique=False)

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("event_session_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_comment_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_comment_event_id_event"), "event", ["event_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_comment_event_session_id_event_session"),
            "event_session",
            ["event_session_id"],
            ["id"],
        )

    with op.batch_alter_table("retention_setting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event_needs_days", sa.Integer(), server_default="30", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("retention_setting", schema=None) as batch_op:
        batch_op.drop_column("event_needs_days")

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_comment_event_session_id_event_session"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_comment_event_id_event"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_comment_event_id"))
        batch_op.drop_column("event_session_id")
        batch_op.drop_column("event_id")

    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_session_group_id"))
        batch_op.drop_index(batch_op.f("ix_event_session_event_id"))

    op.drop_table("event_session")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_registration_active",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )
        batch_op.drop_index(batch_op.f("ix_registration_user_id"))
        batch_op.drop_index("ix_registration_event_status")

    op.drop_table("registration")
    with op.batch_alter_table("programme_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_item_event_id"))

    op.drop_table("programme_item")
    with op.batch_alter_table("group_membership", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_group_membership_current",
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_group_membership_user_id"))
        batch_op.drop_index(batch_op.f("ix_group_membership_group_id"))

    op.drop_table("group_membership")
    with op.batch_alter_table("group_chapter", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_group_chapter_current",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_group_chapter_group_id"))

    op.drop_table("group_chapter")
    op.drop_table("event_group")
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_consultation_id"))

    op.drop_table("working_group")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_consultation_id"))

    op.drop_table("event")
